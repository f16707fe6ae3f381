-- Conditional (and optionally fenced) record write, keeping the kind's index in step.
-- KEYS: record, index, [lease]   ARGV: id, data, mode, version, fenced, owner, token,
--       incident index prefix ('' for other kinds)
-- Returns {0, new version} | {1, version found} | {2, 0} when fenced off.
if ARGV[5] == '1' and not holds_lease(KEYS[3], ARGV[6], ARGV[7]) then return {2, 0} end
local found, ok = check_version(KEYS[1], ARGV[3], ARGV[4])
if not ok then return {1, found} end
if ARGV[8] ~= '' then reindex_incident(ARGV[8], ARGV[1], redis.call('HGET', KEYS[1], 'd'), ARGV[2]) end
redis.call('HSET', KEYS[1], 'v', found + 1, 'd', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return {0, found + 1}
