-- Appends one message to one stream and publishes it, in one atomic step on one slot (a room's, or a
-- user's: inbox or said stream). Each stream has its own ids: max(last id + 1, Redis time in ms * 1024),
-- zero-padded to 16 digits, so they keep rising even after Redis lost its data (the clock does not go
-- back). The published event names the stream, its id and `prev` (the stream's id before it), so a
-- receiver notices a gap. A step is run at most once per token: a re-send (ioredis after a failover, a
-- client retry with the same cid) gets the id of the first run and stores and publishes nothing.
-- A room message names its sender in ARGV 10: a sender banned or muted in the room (KEYS 4, the room's
-- silenced hash, fields "ban:<user>" and "mute:<user>" -> ms it ends, 0 = until lifted) is refused in this
-- same step, so no send that reaches Redis after a ban or mute was acknowledged is stored.
-- KEYS: 1 the token's done key, 2 the stream's counter, 3 the stream, 4 a conversation index ('' entries;
--       optional), or with ARGV 10 the room's silenced hash
-- ARGV: 1 token TTL in s, 2 deadline in ms of Redis time (0: none), 3 the stored JSON's fields after "id",
--       4 what the published event adds to them (e.g. ',"origin":"..."'), 5 stream length, 6 channel,
--       7 kind (the event's "k"), 8 stream name (the event's "stream"), 9 '1' to keep the stream from expiring
--       (a room's history expires only while nobody is in it; a message keeps it), 10 the sender to check
--       against the silenced hash ('' or absent: no check)
-- Returns {'ok', id} | {'dup', id} | {'late'} | {'silenced', 'ban' | 'mute', until}
local done = redis.call('GET', KEYS[1])
if done then return {'dup', done} end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = tonumber(ARGV[2])
if deadline > 0 and now > deadline then return {'late'} end

local sender = ARGV[10] or ''
if sender ~= '' then
  local found = redis.call('HMGET', KEYS[4], 'ban:' .. sender, 'mute:' .. sender)
  for i, kind in ipairs({'ban', 'mute'}) do
    local untilMs = tonumber(found[i])
    if untilMs and (untilMs == 0 or untilMs > now) then return {'silenced', kind, found[i]} end
  end
end

local body, extra, maxlen = ARGV[3], ARGV[4], tonumber(ARGV[5])
local prev = tonumber(redis.call('GET', KEYS[2]) or '0')
local n = math.max(prev + 1, now * 1024)
redis.call('SET', KEYS[2], string.format('%d', n))
local id = string.format('%016d', n)
local entry = string.format('%d-0', n)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxlen, entry, 'm', '{"id":"' .. id .. '",' .. body .. '}')
if ARGV[9] == '1' then redis.call('PERSIST', KEYS[3]) end
if KEYS[4] and sender == '' then redis.call('XADD', KEYS[4], 'MAXLEN', '~', maxlen, entry, 'm', '') end
redis.call('SET', KEYS[1], id, 'EX', tonumber(ARGV[1]))
redis.call('SPUBLISH', ARGV[6], '{"k":"' .. ARGV[7] .. '","stream":"' .. ARGV[8] .. '","id":"' .. id ..
  '","prev":"' .. string.format('%016d', prev) .. '",' .. body .. extra .. '}')
return {'ok', id}
