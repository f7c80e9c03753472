-- Creates a run unless its idempotency key is taken, in one step, so that two
-- concurrent creations with one key make one run. The key held by this very
-- run id means this call already ran: ioredis sends a script again when the
-- connection broke before its reply, so that is this creation, not an earlier run.
-- KEYS: idempotency key, runs by createdAt, active runs, the run, its task-runs,
-- finished runs by finishedAt.
-- ARGV: run id, createdAt, finishedAt ("" while RUNNING), TTL in ms of a
-- finished run's keys (0: none), run JSON, then (task id, task-run JSON) pairs.
-- Returns {1, id of another run holding the key} or {0, this run's id}.
local runId = ARGV[1]
local holder = redis.call("GET", KEYS[1])
if holder == runId then
  return {0, runId}
end
if holder then
  return {1, holder}
end
redis.call("SET", KEYS[1], runId)
redis.call("SET", KEYS[4], ARGV[5])
redis.call("ZADD", KEYS[2], ARGV[2], runId)
for i = 6, #ARGV, 2 do
  redis.call("HSET", KEYS[5], ARGV[i], ARGV[i + 1])
end
if ARGV[3] == "" then
  redis.call("SADD", KEYS[3], runId)
else
  redis.call("ZADD", KEYS[6], ARGV[3], runId)
  local ttl = tonumber(ARGV[4])
  if ttl > 0 then
    redis.call("PEXPIRE", KEYS[1], ttl)
    redis.call("PEXPIRE", KEYS[4], ttl)
    redis.call("PEXPIRE", KEYS[5], ttl)
  end
end
return {0, runId}
