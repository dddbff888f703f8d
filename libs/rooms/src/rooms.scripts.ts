/*
 * Membership changes run as Lua so that each is atomic across instances. State:
 *   chat:room:<room>              hash user -> sessions of that user in the room (HLEN = distinct users)
 *   chat:rooms                    set of rooms with at least one user
 *   chat:online                   hash user -> live sessions
 *   chat:instance:<id>:sessions   hash session -> "<user> <room>", so a dead instance's sessions can be reaped
 * move() returns {from room or '', 1 if the user left `from`, 1 if the user is new in `to`, distinct users in `to`}.
 */
const MOVE = `
local function move(sessions, sid, user, to)
  local rec = redis.call('HGET', sessions, sid)
  if not rec and to == '' then return {'', 0, 0, 0} end
  local from = false
  if rec then from = string.sub(rec, string.len(user) + 2) end
  if from == to then return {from, 0, 0, redis.call('HLEN', 'chat:room:' .. to)} end
  local left = 0
  if from then
    local key = 'chat:room:' .. from
    if redis.call('HINCRBY', key, user, -1) <= 0 then
      redis.call('HDEL', key, user)
      left = 1
      if redis.call('HLEN', key) == 0 then redis.call('SREM', 'chat:rooms', from) end
    end
  else
    redis.call('HINCRBY', 'chat:online', user, 1)
  end
  if to == '' then
    redis.call('HDEL', sessions, sid)
    if redis.call('HINCRBY', 'chat:online', user, -1) <= 0 then redis.call('HDEL', 'chat:online', user) end
    return {from, left, 0, 0}
  end
  local key = 'chat:room:' .. to
  local joined = 0
  if redis.call('HINCRBY', key, user, 1) == 1 then joined = 1 end
  redis.call('SADD', 'chat:rooms', to)
  redis.call('HSET', sessions, sid, user .. ' ' .. to)
  return {from or '', left, joined, redis.call('HLEN', key)}
end
`;

/** KEYS[1] instance sessions hash; ARGV session id, user, target room ('' to leave every room). */
export const MOVE_SCRIPT = `${MOVE}
return move(KEYS[1], ARGV[1], ARGV[2], ARGV[3])`;

/** KEYS[1] sessions hash, KEYS[2] alive key of a dead instance; ARGV[1] its id. Returns {room, user, ...} left. */
export const REAP_SCRIPT = `${MOVE}
if redis.call('EXISTS', KEYS[2]) == 1 then return {} end
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 1, #all, 2 do
  local rec = all[i + 1]
  local user = string.sub(rec, 1, string.find(rec, ' ', 1, true) - 1)
  local r = move(KEYS[1], all[i], user, '')
  if r[2] == 1 then
    table.insert(out, r[1])
    table.insert(out, user)
  end
end
redis.call('DEL', KEYS[1])
redis.call('SREM', 'chat:instances', ARGV[1])
return out`;
