-- Marks an instance alive for a while, keeping its public address, and tells it whether it had been
-- given up for dead meanwhile.
-- KEYS: 1 its alive key, 2 instances set, 3 its reaped marker
-- ARGV: 1 instance id, 2 time to live in ms, 3 its public address ('' while not yet listening)
-- Returns {1 if the alive key had expired, 1 if another instance reaped its sessions}.
local lapsed = 1 - redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
local reaped = redis.call('DEL', KEYS[3])
return {lapsed, reaped}
