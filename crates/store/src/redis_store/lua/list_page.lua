-- Reads one page of the records of a kind, by SSCAN over the index: bounded work and memory
-- per call however many records there are. A record present for the whole scan is returned at
-- least once (SSCAN's guarantee); one changed meanwhile may be returned twice or not at all.
-- KEYS: index   ARGV: 1 record key prefix, 2 cursor, 3 count
-- Returns {next cursor ("0" when done), id, version, data, ...}.
local scan = redis.call('SSCAN', KEYS[1], ARGV[2], 'COUNT', ARGV[3])
local out = {scan[1]}
for _, id in ipairs(scan[2]) do
  local rec = redis.call('HMGET', ARGV[1] .. id, 'v', 'd')
  if rec[1] and rec[2] then
    out[#out + 1] = id
    out[#out + 1] = rec[1]
    out[#out + 1] = rec[2]
  end
end
return out
