-- Extends a lease still held by this owner and token.
-- KEYS: lease   ARGV: owner, token, ttl ms   Returns 1 if renewed.
if not holds_lease(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
