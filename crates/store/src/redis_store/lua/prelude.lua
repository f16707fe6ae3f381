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
