-- Deletes an incident with its timeline, freeing its dedupe string if it holds it.
-- KEYS: record, index, timeline, bodies, dedupe   ARGV: id, has dedupe, incident index prefix
-- Returns 1 if the record existed.
reindex_incident(ARGV[3], ARGV[1], redis.call('HGET', KEYS[1], 'd'), nil)
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3], KEYS[4])
if ARGV[2] == '1' and redis.call('GET', KEYS[5]) == ARGV[1] then redis.call('DEL', KEYS[5]) end
return existed
