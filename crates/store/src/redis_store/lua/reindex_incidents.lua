-- Indexes one batch of an account's stored incidents (crate::incident_index), reading each
-- record's current body, so a concurrent write is never undone; the last batch sets the marker.
-- KEYS: ids of the incidents, built marker   ARGV: SSCAN cursor, record prefix, index prefix,
-- batch size   Returns {next cursor, incidents indexed}.
local res = redis.call('SSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[4])
local n = 0
for _, id in ipairs(res[2]) do
  local data = redis.call('HGET', ARGV[2] .. id, 'd')
  if data then
    reindex_incident(ARGV[3], id, data, data)
    n = n + 1
  end
end
if res[1] == '0' then redis.call('SET', KEYS[2], '1') end
return {res[1], n}
