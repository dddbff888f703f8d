-- The DMs stored in the user's stream after their devices last saw their DMs, in one round trip.
-- KEYS: 1 the user's DM-seen mark (a message id, absent when never set), 2 the user's DM stream
-- Returns the XRANGE entries after that id.
local seen = redis.call('GET', KEYS[1]) or '0'
return redis.call('XRANGE', KEYS[2], '(' .. seen .. '-0', '+')
