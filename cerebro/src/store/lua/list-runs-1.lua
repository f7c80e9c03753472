-- One page of run ids, newest first, with their createdAt scores.
-- KEYS: runs by createdAt.
-- ARGV: how many; then, to continue a listing, createdAt and id of the run the
-- page starts after.
-- Returns {id, createdAt, id, createdAt, ...}.
local count = tonumber(ARGV[1])
if not ARGV[2] then
  return redis.call("ZREVRANGE", KEYS[1], 0, count - 1, "WITHSCORES")
end
-- The position's run may be gone (retention): put it back for the moment, so
-- that its rank places it among runs of the same createdAt as Redis orders them.
local added = redis.call("ZADD", KEYS[1], "NX", ARGV[2], ARGV[3])
local rank = redis.call("ZREVRANK", KEYS[1], ARGV[3])
local page = redis.call("ZREVRANGE", KEYS[1], rank + 1, rank + count, "WITHSCORES")
if added == 1 then
  redis.call("ZREM", KEYS[1], ARGV[3])
end
return page
