-- Claims due deliveries of the notification outbox (see RedisNotificationStore).
-- KEYS: the due sorted set, the outbox hash.
-- ARGV: now, the end of the claim, the most deliveries to take.
-- Returns the JSON of each delivery claimed, oldest due first.
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1], "LIMIT", 0, tonumber(ARGV[3]))
local claimed = {}
for _, id in ipairs(ids) do
  local json = redis.call("HGET", KEYS[2], id)
  if json then
    redis.call("ZADD", KEYS[1], ARGV[2], id)
    claimed[#claimed + 1] = json
  else
    redis.call("ZREM", KEYS[1], id)
  end
end
return claimed
