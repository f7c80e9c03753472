-- Removes finished runs: their record, task-runs, logs, events, idempotency key
-- (unless a newer run holds it by now) and index entries. A run that is
-- RUNNING stays.
-- KEYS: runs by createdAt, active runs, finished runs by finishedAt; per run:
-- its record, its task-runs, its logs, its events, and its idempotency key when
-- it has one.
-- ARGV: per run: id, "1" when it has an idempotency key.
-- Returns how many runs it removed.
local removed = 0
local k = 4
for a = 1, #ARGV, 2 do
  local id = ARGV[a]
  local runKey, taskRunsKey, logsKey, eventsKey = KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]
  local idempotencyKey = nil
  k = k + 4
  if ARGV[a + 1] == "1" then
    idempotencyKey = KEYS[k]
    k = k + 1
  end
  if redis.call("SISMEMBER", KEYS[2], id) == 0 then
    redis.call("DEL", runKey, taskRunsKey, logsKey, eventsKey)
    if idempotencyKey and redis.call("GET", idempotencyKey) == id then
      redis.call("DEL", idempotencyKey)
    end
    redis.call("ZREM", KEYS[1], id)
    redis.call("ZREM", KEYS[3], id)
    removed = removed + 1
  end
end
return removed
