-- Writes runs, task-runs and completions as one atomic step.
-- KEYS: runs by createdAt, active runs, last completions, then one key per run
-- (the run's record), then one key per task-run (its run's task-runs hash).
-- ARGV: number of runs, of task-runs, of completions; then per run: id,
-- createdAt, "1" when RUNNING, JSON; per task-run: task id, JSON; per
-- completion: task id, completedAt, JSON.
local runs, taskRuns, completions = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local a = 4
for i = 1, runs do
  local id = ARGV[a]
  redis.call("SET", KEYS[3 + i], ARGV[a + 3])
  redis.call("ZADD", KEYS[1], ARGV[a + 1], id)
  if ARGV[a + 2] == "1" then
    redis.call("SADD", KEYS[2], id)
  else
    redis.call("SREM", KEYS[2], id)
  end
  a = a + 4
end
for i = 1, taskRuns do
  redis.call("HSET", KEYS[3 + runs + i], ARGV[a], ARGV[a + 1])
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
