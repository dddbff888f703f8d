-- A store's first two steps in one script, where the sender's slot and the first stream's slot are on one
-- node (always on a standalone Redis; on a cluster, when both are one slot, as a DM's sender copy is):
-- claim.lua, then, only when it claimed, append.lua with the claimed token. ChatBus puts the two files in
-- front of this one as the local functions `claim` and `append`, so each keeps its own rules. It saves a
-- round trip and a script run per send. Redis runs the script whole, so a store is never cut short between
-- the two, and a re-send (ioredis after a reconnect) is a no-op as before: with a cid, claim.lua answers
-- 'dup' and the caller completes the store step by step with the first token, whose done key append.lua
-- finds; without one, append.lua finds this token's done key.
-- KEYS: claim.lua's 4, then append.lua's
-- ARGV: claim.lua's 8, then append.lua's
-- Returns claim.lua's reply; when it is 'ok', append.lua's reply as a third element.
local claimKeys, appendKeys, claimArgs, appendArgs = {}, {}, {}, {}
for i = 1, #KEYS do
  if i <= 4 then claimKeys[i] = KEYS[i] else appendKeys[i - 4] = KEYS[i] end
end
for i = 1, #ARGV do
  if i <= 8 then claimArgs[i] = ARGV[i] else appendArgs[i - 8] = ARGV[i] end
end
local claimed = claim(claimKeys, claimArgs)
if claimed[1] ~= 'ok' then return claimed end
claimed[3] = append(appendKeys, appendArgs)
return claimed
