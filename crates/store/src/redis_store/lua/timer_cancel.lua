-- Removes a timer entirely. The set's claim sequence stays, so a claim taken before the
-- cancel can never match a timer scheduled again under the same key.
-- KEYS: queue, bodies, claims   ARGV: key   Returns 1 if it existed.
local existed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return existed
