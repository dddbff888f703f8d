-- Stores a room message or a DM and publishes it to every instance, in one atomic step, so that a
-- message is either stored and published or neither, and ids rise in the order instances receive them.
-- KEYS: 1 id counter, 2 the sender's cid key, 3 the sender's rate bucket, 4 the sender's strikes,
--       5 first stream (the room's history; for a DM the recipient's), 6 second stream (the sender's
--       said stream; for a DM the sender's), 7 for a message the sender's followers set, for a DM the
--       recipient's sessions hash (the rooms library's chat:{u:<user>}:sessions, read for `delivered` only);
--       for a DM only: 8 the recipient's index of the conversation, 9 the sender's, 10 the id from which DMs are indexed
-- ARGV: 1 kind 'message' | 'dm', 2 channel, 3 body: the stored JSON's fields after "id", 4 what the
--       published event adds to them (e.g. ',"origin":"..."'), 5 stream length, 6 cid TTL in s (0: no cid),
--       7 rate per second, 8 burst, 9 strikes before the sender is cut off, 10 deadline in ms of Redis time
--       (0: none), 11 the room (message) or the recipient (dm)
-- Returns {'ok', id, delivered} | {'dup', reply stored for the cid: "id target delivered kind"} | {'rate', 1 if strikes are used up} | {'late'}
--
-- Ids: max(last id + 1, Redis time in ms * 1024), zero-padded to 16 digits. They keep rising even after
-- Redis lost its data (the clock does not go back), and they are the entries' ids in every stream.
local kind, channel, body, extra = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local maxlen, cidTtl, rate, burst = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local strikeLimit, deadline, target = tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11]

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- The caller stopped waiting: doing it now would deliver a message its sender was told failed.
if deadline > 0 and now > deadline then return {'late'} end

if cidTtl > 0 then
  local prior = redis.call('GET', KEYS[2])
  if prior then return {'dup', prior} end
end

local bucket = redis.call('HMGET', KEYS[3], 't', 'n')
local last = tonumber(bucket[1]) or now
local tokens = math.min(burst, (tonumber(bucket[2]) or burst) + (now - last) * rate / 1000)
local refillMs = math.ceil(burst * 1000 / rate) + 1000
if tokens < 1 then
  redis.call('HSET', KEYS[3], 't', now, 'n', tokens)
  redis.call('PEXPIRE', KEYS[3], refillMs)
  local strikes = redis.call('INCR', KEYS[4])
  if strikes == 1 then redis.call('PEXPIRE', KEYS[4], 60000) end
  if strikes >= strikeLimit then return {'rate', 1} end
  return {'rate', 0}
end
redis.call('HSET', KEYS[3], 't', now, 'n', tokens - 1)
redis.call('PEXPIRE', KEYS[3], refillMs)

local prev = tonumber(redis.call('GET', KEYS[1]) or '0')
local n = math.max(prev + 1, now * 1024)
redis.call('SET', KEYS[1], string.format('%d', n))
local id = string.format('%016d', n)
local entry = string.format('%d-0', n)
local stored = '{"id":"' .. id .. '",' .. body .. '}'

local delivered = 1
redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxlen, entry, 'm', stored)
-- A room's history expires only while nobody is in it (ROOM_HISTORY_TTL_SECONDS): a message keeps it.
if kind == 'message' then redis.call('PERSIST', KEYS[5]) end
if kind == 'dm' then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', maxlen, entry, 'm', stored)
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', maxlen, entry, 'm', '')
  redis.call('XADD', KEYS[9], 'MAXLEN', '~', maxlen, entry, 'm', '')
  redis.call('SET', KEYS[10], id, 'NX')
  if redis.call('HLEN', KEYS[7]) == 0 then delivered = 0 end
elseif redis.call('SCARD', KEYS[7]) > 0 then
  redis.call('XADD', KEYS[6], 'MAXLEN', '~', maxlen, entry, 'm', stored)
end

if cidTtl > 0 then
  -- The kind and target too, so that a reuse of the cid for another message is told apart from a retry.
  redis.call('SET', KEYS[2], id .. ' ' .. target .. ' ' .. delivered .. ' ' .. kind, 'EX', cidTtl)
end
redis.call('PUBLISH', channel, '{"id":"' .. id .. '","prev":"' .. string.format('%016d', prev) .. '",' .. body .. extra .. '}')
return {'ok', id, delivered}
