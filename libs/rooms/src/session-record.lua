-- Step 1 of every move (instance slot): the session's record names the room it moves to and the room it
-- leaves, before either room is touched, so whoever undoes the session later (its own close, or the reaper
-- of a dead instance) knows every room it may be in. A record whose room is not ARGV[4] means this
-- instance believed another room (a move that timed out but happened): the caller retries from it.
-- An exit (ARGV[5] = '') leaves the record as it is; the caller deletes it after its last step.
-- KEYS: 1 the instance's sessions hash
-- ARGV: 1 session id, 2 user, 3 client address ('' when not known here), 4 room moved from, 5 room moved to
-- Returns {'ok', the session's address, the room its previous move was leaving} | {'stale', recorded room}.
local rec = redis.call('HGET', KEYS[1], ARGV[1])
local old = {r = '', p = '', a = ''}
if rec then old = cjson.decode(rec) end
if old.r ~= ARGV[4] then return {'stale', old.r} end
local address = old.a or ''
if address == '' then address = ARGV[3] end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], ARGV[1],
    cjson.encode({u = ARGV[2], a = address, r = ARGV[5], p = ARGV[4]}))
end
return {'ok', address, old.p or ''}
