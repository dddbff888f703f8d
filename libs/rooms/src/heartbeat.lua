-- Marks an instance alive for a while, keeping its public address, and tells it whether it had been
-- given up for dead meanwhile. Its id is added to chat:{instances} after this (another slot).
-- KEYS: 1 its alive key, 2 its reaped marker
-- ARGV: 1 time to live in ms, 2 its public address ('' while not yet listening)
-- Returns {1 if the alive key had expired, 1 if another instance reaped its sessions}.
local lapsed = 1 - redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
local reaped = redis.call('DEL', KEYS[2])
return {lapsed, reaped}
