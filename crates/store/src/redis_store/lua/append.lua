-- Idempotent timeline append.
-- KEYS: timeline, bodies   ARGV: id, time_ms, data   Returns 1 if appended, 0 if the id existed.
return append_entry(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
