-- Deletes a record and its index entry together.
-- KEYS: record, index   ARGV: id, incident index prefix ('' for other kinds)
-- Returns 1 if the record existed.
if ARGV[2] ~= '' then reindex_incident(ARGV[2], ARGV[1], redis.call('HGET', KEYS[1], 'd'), nil) end
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return existed
