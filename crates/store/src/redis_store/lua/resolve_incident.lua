-- Conditional incident write that also frees its dedupe string, if this incident holds it.
-- KEYS: record, index, dedupe   ARGV: id, data, mode, version, has dedupe, incident index prefix
-- Returns {0, new version} | {1, version found}.
local found, ok = check_version(KEYS[1], ARGV[3], ARGV[4])
if not ok then return {1, found} end
reindex_incident(ARGV[6], ARGV[1], redis.call('HGET', KEYS[1], 'd'), ARGV[2])
redis.call('HSET', KEYS[1], 'v', found + 1, 'd', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
if ARGV[5] == '1' and redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
return {0, found + 1}
