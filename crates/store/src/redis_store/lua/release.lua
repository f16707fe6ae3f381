-- Drops an idempotency claim only while it is in flight: a done claim must survive.
-- KEYS: idem
if redis.call('GET', KEYS[1]) == 'in-flight' then return redis.call('DEL', KEYS[1]) end
return 0
