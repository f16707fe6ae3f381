-- Releases a lease still held by this owner and token.
-- KEYS: lease   ARGV: owner, token   Returns 1 if released.
if not holds_lease(KEYS[1], ARGV[1], ARGV[2]) then return 0 end
redis.call('DEL', KEYS[1])
return 1
