-- Admits a new session in one atomic step across instances: the user's open sessions and those from the
-- client's address are checked against their caps and, when both have room, the slot is taken at once
-- (a session record without a room, counted in the online hash and the address hash), so parallel
-- upgrades can never pass a cap. The session's first move (move.lua) finds the record and counts nothing
-- again; closing it, or the reaping of a dead instance, gives the slot back.
-- KEYS: 1 online hash, 2 this instance's sessions hash, 3 this instance's address hash,
--       4.. the address hashes of the other live instances
-- ARGV: 1 session id, 2 user, 3 client address, 4 cap per user, 5 cap per address
-- Returns {'ok', 0} | {'user', open sessions of the user} | {'address', open sessions from the address}.
local online, sessions = KEYS[1], KEYS[2]
local sid, user, address = ARGV[1], ARGV[2], ARGV[3]

local open = tonumber(redis.call('HGET', online, user)) or 0
if open >= tonumber(ARGV[4]) then return {'user', open} end
local fromAddress = 0
for i = 3, #KEYS do
  fromAddress = fromAddress + (tonumber(redis.call('HGET', KEYS[i], address)) or 0)
end
if fromAddress >= tonumber(ARGV[5]) then return {'address', fromAddress} end

redis.call('HINCRBY', online, user, 1)
redis.call('HINCRBY', KEYS[3], address, 1)
redis.call('HSET', sessions, sid, user .. ' ')
return {'ok', 0}
