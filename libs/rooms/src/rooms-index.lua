-- Keeps a room's distinct users in the rooms index (one small slot, chat:{rooms}), the step after the
-- room's own (presence.lua): the count comes with the room's version, and only a newer version is kept,
-- so two moves of one room reaching here in the other order leave the newer count. A room that empties
-- leaves the index, and its version stays a minute (long past any move still on its way) before it goes.
-- KEYS: 1 index (sorted set, scores 0), 2 counts hash room -> "<version> <users>", 3 gone (room -> ms)
-- ARGV: 1 room, 2 distinct users, 3 version
-- Returns 1 when the count was newer and kept, 0 when it was not.
local index, counts, gone = KEYS[1], KEYS[2], KEYS[3]
local room, users, version = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local current = redis.call('HGET', counts, room)
if current and tonumber(string.match(current, '^%d+')) >= version then return 0 end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', counts, room, ARGV[3] .. ' ' .. users)
if users > 0 then
  redis.call('ZADD', index, 0, room)
  redis.call('ZREM', gone, room)
else
  redis.call('ZREM', index, room)
  redis.call('ZADD', gone, now, room)
end
for _, old in ipairs(redis.call('ZRANGEBYSCORE', gone, '-inf', now - 60000, 'LIMIT', 0, 100)) do
  redis.call('ZREM', gone, old)
  local value = redis.call('HGET', counts, old)
  if value and string.match(value, ' 0$') then redis.call('HDEL', counts, old) end
end
return 1
