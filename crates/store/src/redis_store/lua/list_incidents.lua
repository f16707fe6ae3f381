-- One page of an account's incidents from its incident indexes (crate::incident_index): walk
-- the smallest single-valued filter index (else `all`) newest first inside the time range, keep
-- the ids found in some index of every other filter group. Equal times list by id, descending
-- bytewise (ZREVRANGE's order).
-- KEYS: built marker   ARGV: index prefix, record prefix, min ms ('-inf'), max ms ('+inf'),
--       cursor ms ('' = none), cursor id, limit, then per filter group: n, n index names.
-- Returns {'-1'} when the account's incidents are not indexed yet, else
-- {'0', id, ms, version, data, ...}. Index keys share the marker's hash tag.
if redis.call('EXISTS', KEYS[1]) == 0 then return {'-1'} end
local prefix = ARGV[1]
local groups = {}
local i = 8
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  local g = {}
  for j = 1, n do g[j] = prefix .. ARGV[i + j] end
  groups[#groups + 1] = g
  i = i + n + 1
end
local driver, driver_group, best = prefix .. 'all', 0, nil
for gi, g in ipairs(groups) do
  if #g == 1 then
    local size = redis.call('ZCARD', g[1])
    if not best or size < best then best, driver, driver_group = size, g[1], gi end
  end
end
-- a >= b, comparing bytes (Lua's own comparison follows the locale).
local function bytes_ge(a, b)
  for k = 1, math.min(#a, #b) do
    local x, y = string.byte(a, k), string.byte(b, k)
    if x ~= y then return x > y end
  end
  return #a >= #b
end
local max = ARGV[4]
local cursor_ms = tonumber(ARGV[5])
if cursor_ms and (max == '+inf' or cursor_ms < tonumber(max)) then max = ARGV[5] end
local limit = tonumber(ARGV[7])
local out = {'0'}
local found, offset, batch = 0, 0, 256
while found < limit do
  local rows = redis.call('ZREVRANGEBYSCORE', driver, max, ARGV[3], 'WITHSCORES', 'LIMIT', offset, batch)
  if #rows == 0 then break end
  for r = 1, #rows, 2 do
    local id, ms = rows[r], tonumber(rows[r + 1])
    if not (cursor_ms and ms == cursor_ms and bytes_ge(id, ARGV[6])) then
      local pass = true
      for gi, g in ipairs(groups) do
        if gi ~= driver_group then
          local any = false
          for _, k in ipairs(g) do
            if redis.call('ZSCORE', k, id) then any = true break end
          end
          if not any then pass = false break end
        end
      end
      if pass then
        local rec = redis.call('HMGET', ARGV[2] .. id, 'v', 'd')
        if rec[1] and rec[2] then
          out[#out + 1] = id
          out[#out + 1] = rows[r + 1]
          out[#out + 1] = rec[1]
          out[#out + 1] = rec[2]
          found = found + 1
          if found >= limit then break end
        end
      end
    end
  end
  offset = offset + batch
end
return out
