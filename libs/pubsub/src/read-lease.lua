-- Takes or renews one of the user's leases on an expensive read, across the cluster. A lease expires
-- unless renewed, so a gateway that dies mid-read frees it within the TTL.
-- KEYS: 1 the user's leases (sorted set: lease -> expiry in ms of Redis time)
-- ARGV: 1 lease id, 2 TTL in ms, 3 most leases at once
-- Returns 1 when the lease is held, 0 when the user already has the most leases.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local held = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not held and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
