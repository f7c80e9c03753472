-- Appends lines to one attempt's log, then drops its oldest lines while it
-- holds more than its bound. The log lives in its run's logs hash: field
-- <attempt> holds "<last seq> <bytes> <dropped>", field <attempt>:<seq> a line.
-- The hash takes the run's TTL, and nothing is written for a removed run.
-- KEYS: the run's record, the run's logs hash.
-- ARGV: attempt id, the bound in bytes, then the encoded lines.
-- Returns how many lines it dropped (-1: no such run).
local runTtl = redis.call("PTTL", KEYS[1])
if runTtl == -2 then
  return -1
end
local attempt, maxBytes = ARGV[1], tonumber(ARGV[2])
local last, bytes, dropped = 0, 0, 0
local meta = redis.call("HGET", KEYS[2], attempt)
if meta then
  local a, b, c = string.match(meta, "^(%d+) (%d+) (%d+)$")
  last, bytes, dropped = tonumber(a), tonumber(b), tonumber(c)
end
for i = 3, #ARGV do
  last = last + 1
  redis.call("HSET", KEYS[2], attempt .. ":" .. last, ARGV[i])
  bytes = bytes + string.len(ARGV[i])
end
local cut = 0
while bytes > maxBytes and dropped < last do
  dropped = dropped + 1
  local field = attempt .. ":" .. dropped
  bytes = bytes - string.len(redis.call("HGET", KEYS[2], field) or "")
  redis.call("HDEL", KEYS[2], field)
  cut = cut + 1
end
redis.call("HSET", KEYS[2], attempt, last .. " " .. bytes .. " " .. dropped)
if runTtl > 0 then
  redis.call("PEXPIRE", KEYS[2], runTtl)
end
return cut
