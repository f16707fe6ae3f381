-- Idempotent timeline appends, several in one call.
-- KEYS: timeline, bodies   ARGV: id, time_ms, data, id, time_ms, data, ...
-- Returns how many were appended (an id already there is skipped).
local appended = 0
for i = 1, #ARGV, 3 do
  appended = appended + append_entry(KEYS[1], KEYS[2], ARGV[i], ARGV[i + 1], ARGV[i + 2])
end
return appended
