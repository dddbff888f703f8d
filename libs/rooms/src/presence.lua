-- A session enters or leaves a room (room slot), once however often it is run: the session is the unit,
-- so a repeated step (a retry, a repair, two reapers of one dead instance) changes nothing again.
-- Each change stamps the room's version, max(previous + 1, Redis time in microseconds), which the rooms
-- index (rooms-index.lua, another slot) uses to keep only the newest count whatever order they reach it.
-- KEYS: 1 the room's sessions hash (session -> user), 2 its users hash (user -> sessions), 3 its version
-- ARGV: 1 'enter' or 'exit', 2 session id, 3 user
-- Returns {1 if the user joined (enter) or left (exit) the room, distinct users now, the version as a
-- string, 1 if this exit left the room empty}.
local sessions, users, version = KEYS[1], KEYS[2], KEYS[3]
local sid, user = ARGV[2], ARGV[3]

-- The version is kept while the room has anyone in it (RoomsService.reconcileIndex reads it), and a day after.
local function stamp()
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local v = math.max((tonumber(redis.call('GET', version)) or 0) + 1, now)
  local s = string.format('%.0f', v)
  if redis.call('HLEN', users) == 0 then
    redis.call('SET', version, s, 'PX', 86400000)
  else
    redis.call('SET', version, s)
  end
  return s
end

local flag, emptied = 0, 0
local v
if ARGV[1] == 'enter' then
  if redis.call('HSETNX', sessions, sid, user) == 1 then
    if redis.call('HINCRBY', users, user, 1) == 1 then flag = 1 end
    v = stamp()
  end
elseif redis.call('HDEL', sessions, sid) == 1 then
  if redis.call('HINCRBY', users, user, -1) <= 0 then
    redis.call('HDEL', users, user)
    flag = 1
  end
  if redis.call('HLEN', users) == 0 then emptied = 1 end
  v = stamp()
end
return {flag, redis.call('HLEN', users), v or redis.call('GET', version) or '0', emptied}
