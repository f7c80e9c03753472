-- Puts a claimed delivery back in the notification outbox, due at a time,
-- unless it left the outbox meanwhile (see RedisNotificationStore).
-- KEYS: the outbox hash, the due sorted set.
-- ARGV: the delivery's id, its JSON, when it is due.
if redis.call("HEXISTS", KEYS[1], ARGV[1]) == 0 then
  return 0
end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1])
return 1
