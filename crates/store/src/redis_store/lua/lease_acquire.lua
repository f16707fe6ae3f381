-- Takes a free lease with a fresh fencing token.
-- KEYS: lease, lease-seq   ARGV: owner, ttl ms   Returns the token, or nil if held.
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'token', token)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return token
