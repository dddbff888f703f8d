-- Whether a user may enter a room, in the room's slot, before the session moves (RoomAccessService.enter):
-- a banned user is refused; a private room is entered only by its members or with an unexpired invite
-- (which makes the user a member, once); the first user into a room without an owner or anyone in it
-- becomes its owner. Safe to repeat: a second run finds the same state (or the user now a member).
-- KEYS: 1 access hash (owner, private, topic), 2 ops set, 3 invites hash (user -> expiry ms),
--       4 bans hash (user -> until ms, 0 = until unbanned), 5 members set, 6 the room's users hash
-- ARGV: 1 user, 2 '1' when the room has no owner by rule (the lobby)
-- Returns {'ok', 1 if the user became the owner} | {'banned', until} | {'not-invited'}
local access, ops, invites, bans, members, users = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local user, ownerless = ARGV[1], ARGV[2] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- The lobby refuses nobody (every session starts and ends up there): a ban there only silences (libs/pubsub).
if ownerless then return {'ok', 0} end

local ban = redis.call('HGET', bans, user)
if ban then
  local untilMs = tonumber(ban)
  if untilMs == 0 or untilMs > now then return {'banned', ban} end
  redis.call('HDEL', bans, user)
end

local owner = redis.call('HGET', access, 'owner')
if not owner and redis.call('HLEN', users) == 0 then
  redis.call('HSET', access, 'owner', user)
  redis.call('SADD', members, user)
  return {'ok', 1}
end
if redis.call('HGET', access, 'private') ~= '1' then return {'ok', 0} end
if owner == user or redis.call('SISMEMBER', members, user) == 1 or redis.call('SISMEMBER', ops, user) == 1 then
  return {'ok', 0}
end
local invite = tonumber(redis.call('HGET', invites, user) or '0')
if invite > now then
  redis.call('HDEL', invites, user)
  redis.call('SADD', members, user)
  return {'ok', 0}
end
return {'not-invited'}
