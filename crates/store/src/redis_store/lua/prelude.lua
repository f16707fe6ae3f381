-- Helpers shared by the scripts, prepended to each of them (Redis has no script includes).

-- Checks a writer's condition against a record hash. Returns the version found (0 = absent)
-- and whether the write may proceed.
local function check_version(record, mode, want)
  local found = tonumber(redis.call('HGET', record, 'v') or '0')
  if mode == 'absent' and found ~= 0 then return found, false end
  if mode == 'version' and found ~= tonumber(want) then return found, false end
  return found, true
end

-- Appends a timeline entry unless its id is already there: replays must not duplicate events.
-- The bodies hash decides, so a half-written entry can never exist.
local function append_entry(timeline, bodies, id, time_ms, data)
  if redis.call('HSETNX', bodies, id, data) == 0 then return 0 end
  redis.call('ZADD', timeline, time_ms, id)
  return 1
end

-- True when the lease hash still names this owner and token (the fencing check).
local function holds_lease(lease, owner, token)
  local held = redis.call('HMGET', lease, 'owner', 'token')
  return held[1] == owner and held[2] == token
end

-- Incident indexes (crate::incident_index): zsets of incident ids scored by creation time.
-- Milliseconds since the epoch of `YYYY-MM-DDTHH:MM:SS[.fff...]` (UTC, as records write it);
-- the same arithmetic as `incident_index::epoch_ms`.
local function incident_ms(t)
  local y, mo, d, h, mi, s, rest = string.match(t, '^(%d%d%d%d)-(%d%d)-(%d%d)T(%d%d):(%d%d):(%d%d)(.*)$')
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local mp = (mo + 9) % 12
  local doy = math.floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  local ms = (((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60 + tonumber(s)) * 1000
  local frac = string.match(rest, '^%.(%d+)')
  if frac then ms = ms + tonumber(string.sub(frac .. '000', 1, 3)) end
  return ms
end

-- The creation ms and index names of an incident record body, or nil.
local function incident_index_names(data)
  local ok, r = pcall(cjson.decode, data)
  if not ok or type(r) ~= 'table' or type(r.creationTime) ~= 'string' then return nil end
  local ms = incident_ms(r.creationTime)
  if not ms then return nil end
  local names = {'all'}
  if type(r.status) == 'string' then names[#names + 1] = 'status:' .. r.status end
  if type(r.impact) == 'number' then
    local i = r.impact >= 0 and math.floor(r.impact) or math.ceil(r.impact)
    names[#names + 1] = 'impact:' .. string.format('%d', i)
  end
  local src = r.incidentRecordSource
  if type(src) == 'table' and type(src.createdBy) == 'string' then
    names[#names + 1] = 'by:' .. src.createdBy
  end
  return ms, names
end

-- Moves incident `id` from the indexes of its old body to those of its new one (either may be
-- false/nil). An empty prefix means the record is not an incident: nothing to index.
local function reindex_incident(prefix, id, old, new)
  if prefix == '' then return end
  if old then
    local ms, names = incident_index_names(old)
    if ms then for _, n in ipairs(names) do redis.call('ZREM', prefix .. n, id) end end
  end
  if new then
    local ms, names = incident_index_names(new)
    if ms then for _, n in ipairs(names) do redis.call('ZADD', prefix .. n, ms, id) end end
  end
end
