-- Appends events to the log of all events and to their runs' logs, dropping
-- the oldest past the limits, in one step.
-- KEYS: all events, last seq of runs not finished; per event of a run: its
-- run's record, its run's events.
-- ARGV: the most events kept in all, per run; per event: cursor, run id (""
-- for an event of no run), seq, "1" when it is its run's RUN_FINISHED, JSON.
-- Returns how many events it appended.
local maxEvents, maxPerRun = tonumber(ARGV[1]), tonumber(ARGV[2])
local k = 3
local appended = 0
for a = 3, #ARGV, 5 do
  redis.call("ZADD", KEYS[1], ARGV[a], ARGV[a + 4])
  local runId = ARGV[a + 1]
  if runId ~= "" then
    local runKey, eventsKey = KEYS[k], KEYS[k + 1]
    k = k + 2
    local runTtl = redis.call("PTTL", runKey)
    -- No record: retention removed the run, and a late event must not bring part of it back.
    if runTtl ~= -2 then
      redis.call("ZADD", eventsKey, ARGV[a + 2], ARGV[a + 4])
      redis.call("ZREMRANGEBYRANK", eventsKey, 0, -(maxPerRun + 1))
      if runTtl > 0 then
        redis.call("PEXPIRE", eventsKey, runTtl)
      end
      if ARGV[a + 3] == "1" then
        redis.call("HDEL", KEYS[2], runId)
      else
        redis.call("HSET", KEYS[2], runId, ARGV[a + 2])
      end
    end
  end
  appended = appended + 1
end
redis.call("ZREMRANGEBYRANK", KEYS[1], 0, -(maxEvents + 1))
return appended
