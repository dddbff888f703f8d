-- Adds a user to the set of users someone follows, unless that set is full.
-- KEYS: 1 the follower's set of followed users. ARGV: 1 the user to follow, 2 the most the set may hold.
-- Returns 1 when the user is (now or already) in the set, 0 when the set is full.
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
return 1
