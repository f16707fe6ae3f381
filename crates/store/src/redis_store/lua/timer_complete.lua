-- Removes a fired timer only if this is still its latest claim (not re-claimed, not moved).
-- KEYS: queue, bodies, claims   ARGV: key, claim   Returns 1 if removed.
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
