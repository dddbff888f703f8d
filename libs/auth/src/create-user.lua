-- Creates the account KEYS[1] unless it exists, all fields at once, so no reader sees half an account.
-- ARGV: the name as registered, the argon2id hash, the creation time (ms). Returns 1 when created, 0 when taken.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'hash', ARGV[2], 'createdAt', ARGV[3])
return 1
