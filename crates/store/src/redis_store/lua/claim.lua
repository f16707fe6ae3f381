-- SET NX PX, answering with the current value when the key is taken (one round trip, and no
-- window where the key expires between the SET and the GET).
-- KEYS: idem   ARGV: ttl ms   Returns 'new' | 'in-flight' | 'done:<result>'.
if redis.call('SET', KEYS[1], 'in-flight', 'NX', 'PX', ARGV[1]) then return 'new' end
return redis.call('GET', KEYS[1])
