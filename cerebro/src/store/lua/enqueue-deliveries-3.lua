-- Adds deliveries to the notification outbox (see RedisNotificationStore).
-- KEYS: the outbox hash, the due sorted set, the delivered sorted set.
-- ARGV: the most deliveries the outbox holds, the time since which delivered
-- ids count as duplicates, then id and JSON of each delivery.
-- Returns added, duplicates, refused.
local maxPending = tonumber(ARGV[1])
local rememberedSince = tonumber(ARGV[2])
local added, duplicates, refused = 0, 0, 0
local size = redis.call("HLEN", KEYS[1])
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local deliveredAt = redis.call("ZSCORE", KEYS[3], id)
  if redis.call("HEXISTS", KEYS[1], id) == 1
    or (deliveredAt and tonumber(deliveredAt) >= rememberedSince) then
    duplicates = duplicates + 1
  elseif size >= maxPending then
    refused = refused + 1
  else
    redis.call("HSET", KEYS[1], id, ARGV[i + 1])
    redis.call("ZADD", KEYS[2], 0, id)
    size = size + 1
    added = added + 1
  end
end
return { added, duplicates, refused }
