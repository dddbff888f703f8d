-- Takes a slot for a new session under one cap (a user's open sessions, or an address's), checking and
-- taking in one atomic step, so parallel upgrades on any number of instances can never pass the cap.
-- Once per session: a session that holds its slot already is admitted again without counting twice.
-- KEYS: 1 hash session -> instance (chat:{u:<user>}:sessions or chat:{a:<address>}:sessions)
-- ARGV: 1 session id, 2 instance id, 3 the cap
-- Returns {1, 0} when the session holds a slot, {0, sessions holding one} when the cap is reached.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return {1, 0} end
local open = redis.call('HLEN', KEYS[1])
if open >= tonumber(ARGV[3]) then return {0, open} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, 0}
