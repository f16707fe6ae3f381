-- Create an incident unless an OPEN one holds the dedupe string, exactly once per alarm.
-- KEYS: idem, dedupe, record, index, timeline, bodies (all of the new incident's account)
-- ARGV: 1 incident id, 2 has dedupe, 3 idem ttl ms, 4 record, 5 timeline key prefix,
--       6..8 merged entry (id, time, data), 9 incident record key prefix,
--       10 incident index prefix, 11.. created entries (id, time, data)...
-- Returns {0, outcome} | {1, outcome} on replay | {2, version} if the record already exists.
-- A merge answers the holder's ARN too (`merged:<id>|<arn>`), saving the caller a read.
-- The merged timeline and record keys are built from the dedupe value: it carries the same account hash
-- tag as KEYS, so it lives in the same cluster slot.
local done = redis.call('GET', KEYS[1])
if done and string.sub(done, 1, 5) == 'done:' then return {1, string.sub(done, 6)} end
local outcome
local holder = ARGV[2] == '1' and redis.call('GET', KEYS[2])
if holder then
  local timeline = ARGV[5] .. holder
  append_entry(timeline, timeline .. ':d', ARGV[6], ARGV[7], ARGV[8])
  outcome = 'merged:' .. holder
  local data = redis.call('HGET', ARGV[9] .. holder, 'd')
  local arn = data and cjson.decode(data)['arn']
  if type(arn) == 'string' then outcome = outcome .. '|' .. arn end
else
  local found = redis.call('HGET', KEYS[3], 'v')
  if found then return {2, found} end
  redis.call('HSET', KEYS[3], 'v', 1, 'd', ARGV[4])
  -- The account's first incident: its (empty) indexes are complete, so listings need no rebuild.
  if redis.call('SCARD', KEYS[4]) == 0 then redis.call('SET', ARGV[10] .. 'built', '1') end
  reindex_incident(ARGV[10], ARGV[1], nil, ARGV[4])
  redis.call('SADD', KEYS[4], ARGV[1])
  if ARGV[2] == '1' then redis.call('SET', KEYS[2], ARGV[1]) end
  for i = 11, #ARGV, 3 do append_entry(KEYS[5], KEYS[6], ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
  outcome = 'created:' .. ARGV[1]
end
redis.call('SET', KEYS[1], 'done:' .. outcome, 'PX', ARGV[3])
return {0, outcome}
