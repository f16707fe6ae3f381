-- Replaces an existing timeline entry (body and time); never creates one.
-- KEYS: timeline, bodies   ARGV: id, time_ms, data   Returns 1 if replaced, 0 if absent.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
