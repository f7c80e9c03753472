-- Reads lines of one attempt's log (see append-logs-2.lua for its layout).
-- KEYS: the run's logs hash.
-- ARGV: attempt id, the sequence number to read after, the most lines.
-- Returns last seq, dropped, then the lines from the first after ARGV[2].
local meta = redis.call("HGET", KEYS[1], ARGV[1])
if not meta then
  return { 0, 0 }
end
local a, _, c = string.match(meta, "^(%d+) (%d+) (%d+)$")
local last, dropped = tonumber(a), tonumber(c)
local from = math.max(tonumber(ARGV[2]), dropped) + 1
local to = math.min(last, from + tonumber(ARGV[3]) - 1)
local reply = { last, dropped }
for seq = from, to do
  reply[#reply + 1] = redis.call("HGET", KEYS[1], ARGV[1] .. ":" .. seq)
end
return reply
