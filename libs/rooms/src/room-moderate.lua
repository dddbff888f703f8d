-- One moderation action or setting change on a room, checked and applied in one step of the room's slot
-- (RoomAccessService.act). Roles: the owner may do everything; an operator everything but op, deop and
-- owner, and nothing to the owner or another operator; an admin (the REST API) everything, in any room.
-- Kick and ban take every session of the target out of the room's membership in the same step, so a join
-- that crosses them either came before (and is taken out) or comes after (and meets the ban). Safe to
-- repeat: each action sets a state, the second run finds it set.
-- KEYS: 1 access hash (owner, private, topic), 2 ops set, 3 invites hash, 4 bans hash, 5 members set,
--       6 sessions hash (session -> user), 7 users hash (user -> sessions), 8 the room's version
-- ARGV: 1 action, 2 actor ('' for an admin), 3 target user ('' for topic and private), 4 value: seconds
--       (ban and mute, 0 = until lifted), invite TTL in s (invite), the topic (topic), '1'/'0' (private),
--       5 '1' in the lobby (no owner: only admins act there)
-- Returns {'ok', until ms or '', removed session ids joined by ',', users left, version}
--       | {'forbidden', why} | {'self'}
local access, ops, invites, bans, members, sessions, users, version =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local action, actor, target, value, lobby = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] == '1'
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local owner = redis.call('HGET', access, 'owner')
local function roleOf(user)
  if user == '' then return 'admin' end
  if owner == user then return 'owner' end
  if redis.call('SISMEMBER', ops, user) == 1 then return 'op' end
  return ''
end

local role = roleOf(actor)
if role ~= 'admin' then
  if lobby or role == '' then return {'forbidden', 'role'} end
  if target == actor then return {'self'} end
  if (action == 'op' or action == 'deop' or action == 'owner') and role ~= 'owner' then
    return {'forbidden', 'owner-only'}
  end
  if target ~= '' and role == 'op' and roleOf(target) ~= '' then return {'forbidden', 'target'} end
end
if target ~= '' and target == owner and action ~= 'invite' then
  if role ~= 'admin' or action == 'op' or action == 'deop' or action == 'owner' then
    return {'forbidden', 'owner-target'}
  end
end

local function stamp()
  local v = math.max((tonumber(redis.call('GET', version)) or 0) + 1, now * 1000)
  local s = string.format('%.0f', v)
  if redis.call('HLEN', users) == 0 then
    redis.call('SET', version, s, 'PX', 86400000)
  else
    redis.call('SET', version, s)
  end
  return s
end

-- Every session of the target leaves the room's membership (as presence.lua's exits would).
local function remove()
  local removed = {}
  local all = redis.call('HGETALL', sessions)
  for i = 1, #all, 2 do
    if all[i + 1] == target then
      redis.call('HDEL', sessions, all[i])
      removed[#removed + 1] = all[i]
    end
  end
  redis.call('HDEL', users, target)
  local v = redis.call('GET', version) or '0'
  if #removed > 0 then v = stamp() end
  return table.concat(removed, ','), v
end
-- Nobody is taken out of the lobby: a kick or ban there only tells the user (and a ban silences them).
if lobby then remove = function() return '', redis.call('GET', version) or '0' end end

local untilMs = ''
local removed, v = '', redis.call('GET', version) or '0'
if action == 'invite' then
  redis.call('HSET', invites, target, string.format('%.0f', now + tonumber(value) * 1000))
elseif action == 'kick' then
  removed, v = remove()
elseif action == 'ban' then
  local seconds = tonumber(value)
  if seconds > 0 then untilMs = string.format('%.0f', now + seconds * 1000) else untilMs = '0' end
  redis.call('HSET', bans, target, untilMs)
  redis.call('SREM', members, target)
  redis.call('SREM', ops, target)
  redis.call('HDEL', invites, target)
  removed, v = remove()
elseif action == 'mute' then
  local seconds = tonumber(value)
  if seconds > 0 then untilMs = string.format('%.0f', now + seconds * 1000) else untilMs = '0' end
elseif action == 'unban' then
  redis.call('HDEL', bans, target)
elseif action == 'op' then
  redis.call('SADD', ops, target)
  if redis.call('HGET', access, 'private') == '1' then redis.call('SADD', members, target) end
elseif action == 'deop' then
  redis.call('SREM', ops, target)
elseif action == 'owner' then
  redis.call('HSET', access, 'owner', target)
  redis.call('SREM', ops, target)
  redis.call('SADD', members, target)
  if owner then redis.call('SADD', ops, owner) end
elseif action == 'topic' then
  if value == '' then redis.call('HDEL', access, 'topic') else redis.call('HSET', access, 'topic', value) end
elseif action == 'private' then
  if value == '1' then
    redis.call('HSET', access, 'private', '1')
    local present = redis.call('HKEYS', users)
    for _, user in ipairs(present) do redis.call('SADD', members, user) end
    if owner then redis.call('SADD', members, owner) end
    for _, user in ipairs(redis.call('SMEMBERS', ops)) do redis.call('SADD', members, user) end
  else
    redis.call('HDEL', access, 'private')
  end
end
-- mute and unmute change nothing here (mute only reckons its end): the store step's own key holds them (libs/pubsub).
return {'ok', untilMs, removed, redis.call('HLEN', users), v}
