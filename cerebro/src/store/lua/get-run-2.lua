-- Reads a run and its task-runs in one step, so they come from one moment.
-- KEYS: the run, its task-runs.
-- Returns nil for an unknown run, else {run JSON, task id, task-run JSON, ...}.
local run = redis.call("GET", KEYS[1])
if not run then
  return nil
end
local reply = redis.call("HGETALL", KEYS[2])
table.insert(reply, 1, run)
return reply
