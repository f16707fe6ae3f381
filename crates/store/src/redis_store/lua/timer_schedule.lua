-- Adds or moves a timer. A fresh claim number invalidates any claim in progress.
-- KEYS: queue, bodies, claims, seq   ARGV: key, due ms, payload
-- The body keeps the original due time, since claiming overwrites the queue score.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
redis.call('HSET', KEYS[3], ARGV[1], redis.call('INCR', KEYS[4]))
return 1
