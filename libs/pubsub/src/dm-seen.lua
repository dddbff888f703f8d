-- Raises the user's DM-seen mark to a message id, never lowers it (sessions report out of order).
-- KEYS: 1 the user's DM-seen mark; ARGV: 1 the message id (digits, no padding)
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then redis.call('SET', KEYS[1], ARGV[1]) end
return 1
