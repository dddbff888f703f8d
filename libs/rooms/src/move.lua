-- Moves one session between rooms, atomically across instances.
-- KEYS: 1 the instance's sessions hash, 2 online hash, 3 rooms set, 4 hash of the room moved from,
--       5 hash of the room moved to, 6 the instance's hash of open sessions per client address
-- ARGV: 1 session id, 2 user, 3 room moved from ('' for a new session), 4 room moved to ('' to exit),
--       5 the session's client address, counted in KEYS[6] as it opens and exits ('' to leave the count)
-- A session admitted by admit.lua is already recorded without a room and counted: its first move counts
-- nothing again, and its exit from '' (it never opened) gives the slot back.
-- Returns {'ok', left, joined, users, offline, emptied}: 1 if the user has no session left in the old room,
-- 1 if the user is new in the target room, distinct users there, 1 if the user's last session exited,
-- 1 if the old room has nobody left in it;
-- or {'stale', room} when the session is recorded in another room than ARGV[3] (the caller retries).
local sessions, online, rooms, fromKey, toKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local sid, user, from, to, address = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local rec = redis.call('HGET', sessions, sid)
local actual = ''
if rec then actual = string.sub(rec, string.len(user) + 2) end
if actual ~= from then return {'stale', actual} end
if from == to and (from ~= '' or not rec) then return {'ok', 0, 0, redis.call('HLEN', toKey), 0, 0} end

local left, emptied = 0, 0
if from ~= '' then
  if redis.call('HINCRBY', fromKey, user, -1) <= 0 then
    redis.call('HDEL', fromKey, user)
    left = 1
    if redis.call('HLEN', fromKey) == 0 then
      redis.call('SREM', rooms, from)
      emptied = 1
    end
  end
elseif not rec then
  redis.call('HINCRBY', online, user, 1)
  if address ~= '' then redis.call('HINCRBY', KEYS[6], address, 1) end
end

if to == '' then
  redis.call('HDEL', sessions, sid)
  if address ~= '' and redis.call('HINCRBY', KEYS[6], address, -1) <= 0 then
    redis.call('HDEL', KEYS[6], address)
  end
  local offline = 0
  if redis.call('HINCRBY', online, user, -1) <= 0 then
    redis.call('HDEL', online, user)
    offline = 1
  end
  return {'ok', left, 0, 0, offline, emptied}
end

local joined = 0
if redis.call('HINCRBY', toKey, user, 1) == 1 then joined = 1 end
redis.call('SADD', rooms, to)
redis.call('HSET', sessions, sid, user .. ' ' .. to)
return {'ok', left, joined, redis.call('HLEN', toKey), 0, emptied}
