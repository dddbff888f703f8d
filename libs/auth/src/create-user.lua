-- Creates the account KEYS[1] unless it has one (a `hash` field), all fields at once, so no reader sees half
-- an account; a field already there (a `revokedBefore` written before an old account moved here) is kept.
-- ARGV: field, value, field, value, ... Returns 1 when created, 0 when taken.
if redis.call('HEXISTS', KEYS[1], 'hash') == 1 then
  return 0
end
for i = 1, #ARGV, 2 do
  redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return 1
