-- Writes runs, task-runs and completions as one atomic step. A finished run's
-- keys get the TTL, so that Redis drops them even when no sweeper runs.
-- KEYS: runs by createdAt, active runs, last completions, finished runs by
-- finishedAt; per run: its record, its task-runs, its logs, and its
-- idempotency key when it has one; per task-run: its run's task-runs, its run's record.
-- ARGV: number of runs, of task-runs, of completions; TTL in ms of a finished
-- run's keys (0: none); per run: id, createdAt, finishedAt ("" while
-- RUNNING), "1" when it has an idempotency key, JSON; per task-run: task id,
-- JSON; per completion: task id, completedAt, JSON.
local runs, taskRuns, completions = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local k, a = 5, 5
for _ = 1, runs do
  local id, finishedAt = ARGV[a], ARGV[a + 2]
  local runKey, taskRunsKey, logsKey = KEYS[k], KEYS[k + 1], KEYS[k + 2]
  local idempotencyKey = nil
  k = k + 3
  if ARGV[a + 3] == "1" then
    idempotencyKey = KEYS[k]
    k = k + 1
  end
  redis.call("SET", runKey, ARGV[a + 4])
  redis.call("ZADD", KEYS[1], ARGV[a + 1], id)
  if finishedAt == "" then
    redis.call("SADD", KEYS[2], id)
    redis.call("ZREM", KEYS[4], id)
  else
    redis.call("SREM", KEYS[2], id)
    redis.call("ZADD", KEYS[4], finishedAt, id)
    if ttl > 0 then
      redis.call("PEXPIRE", runKey, ttl)
      redis.call("PEXPIRE", taskRunsKey, ttl)
      redis.call("PEXPIRE", logsKey, ttl)
      if idempotencyKey and redis.call("GET", idempotencyKey) == id then
        redis.call("PEXPIRE", idempotencyKey, ttl)
      end
    end
  end
  a = a + 5
end
for _ = 1, taskRuns do
  local taskRunsKey, runKey = KEYS[k], KEYS[k + 1]
  k = k + 2
  local runTtl = redis.call("PTTL", runKey)
  -- No record: retention removed the run, and a late write must not bring part of it back.
  if runTtl ~= -2 then
    redis.call("HSET", taskRunsKey, ARGV[a], ARGV[a + 1])
    if runTtl > 0 then
      redis.call("PEXPIRE", taskRunsKey, runTtl)
    end
  end
  a = a + 2
end
for _ = 1, completions do
  local taskId, completedAt = ARGV[a], tonumber(ARGV[a + 1])
  local previous = redis.call("HGET", KEYS[3], taskId)
  -- A late save of an older completion must not hide a newer one.
  if not previous or tonumber(cjson.decode(previous).completedAt) <= completedAt then
    redis.call("HSET", KEYS[3], taskId, ARGV[a + 2])
  end
  a = a + 3
end
return runs + taskRuns + completions
