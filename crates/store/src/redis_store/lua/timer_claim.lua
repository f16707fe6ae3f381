-- Claims due timers: each gets a new claim number and is hidden until the visibility deadline,
-- after which it fires again (a crashed claimer loses nothing).
-- KEYS: queue, bodies, claims, seq   ARGV: now ms, limit, deadline ms
-- Returns {key, claim, '<due>:<payload>', ...}.
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, key in ipairs(due) do
  local claim = redis.call('INCR', KEYS[4])
  redis.call('HSET', KEYS[3], key, claim)
  redis.call('ZADD', KEYS[1], ARGV[3], key)
  out[#out + 1] = key
  out[#out + 1] = claim
  out[#out + 1] = redis.call('HGET', KEYS[2], key) or ''
end
return out
