-- Deletes a record and its index entry together.
-- KEYS: record, index   ARGV: id   Returns 1 if the record existed.
local existed = redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return existed
