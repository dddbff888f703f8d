-- The sender's step of a room message or a DM (the sender's slot): a new client message id (cid) is
-- claimed for this kind and target, and the sender's rate is charged. A cid seen before is answered
-- with what it was claimed for, so that the caller completes the same store (same token) instead of
-- storing a second message: a retry repairs a half-done store.
-- KEYS: 1 the sender's cid key (unused when no cid), 2 the sender's rate bucket, 3 the sender's strikes,
--       4 the sender's followers set
-- ARGV: 1 the store's idempotency token, 2 cid TTL in s (0: no cid), 3 rate per second, 4 burst,
--       5 strikes before the sender is cut off, 6 deadline in ms of Redis time (0: none), 7 the room or the
--       recipient, 8 kind 'message' | 'dm'
-- Returns {'ok', followers} | {'dup', "token target kind", followers} | {'rate', 1 if strikes are used up} | {'late'}
local token, cidTtl, rate, burst = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local strikeLimit, deadline, target, kind = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7], ARGV[8]

if cidTtl > 0 then
  local prior = redis.call('GET', KEYS[1])
  if prior then return {'dup', prior, redis.call('SCARD', KEYS[4])} end
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- The caller stopped waiting: doing it now would deliver a message its sender was told failed.
if deadline > 0 and now > deadline then return {'late'} end

local bucket = redis.call('HMGET', KEYS[2], 't', 'n')
local last = tonumber(bucket[1]) or now
local tokens = math.min(burst, (tonumber(bucket[2]) or burst) + (now - last) * rate / 1000)
local refillMs = math.ceil(burst * 1000 / rate) + 1000
if tokens < 1 then
  redis.call('HSET', KEYS[2], 't', now, 'n', tokens)
  redis.call('PEXPIRE', KEYS[2], refillMs)
  local strikes = redis.call('INCR', KEYS[3])
  if strikes == 1 then redis.call('PEXPIRE', KEYS[3], 60000) end
  if strikes >= strikeLimit then return {'rate', 1} end
  return {'rate', 0}
end
redis.call('HSET', KEYS[2], 't', now, 'n', tokens - 1)
redis.call('PEXPIRE', KEYS[2], refillMs)

if cidTtl > 0 then
  -- The kind and target too, so that a reuse of the cid for another message is told apart from a retry.
  redis.call('SET', KEYS[1], token .. ' ' .. target .. ' ' .. kind, 'EX', cidTtl)
end
return {'ok', redis.call('SCARD', KEYS[4])}
