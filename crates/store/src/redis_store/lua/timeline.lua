-- Reads a timeline in order (score = time, ties by id) with its bodies, in one snapshot.
-- KEYS: timeline, bodies   Returns {id, time_ms, data, ...}.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #ids, 2 do
  out[#out + 1] = ids[i]
  out[#out + 1] = ids[i + 1]
  out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or ''
end
return out
