-- Reads every record of a kind in one snapshot. The record keys share the index's hash tag.
-- KEYS: index   ARGV: record key prefix   Returns {id, version, data, ...}.
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local rec = redis.call('HMGET', ARGV[1] .. id, 'v', 'd')
  if rec[1] and rec[2] then
    out[#out + 1] = id
    out[#out + 1] = rec[1]
    out[#out + 1] = rec[2]
  end
end
return out
