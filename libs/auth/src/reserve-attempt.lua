-- Reserves one attempt on several counters in one atomic step, so parallel attempts on any number
-- of instances cannot all pass the check before any of them is counted.
-- KEYS[i]: a counter; ARGV[2i-1]: its limit; ARGV[2i]: its window in seconds, from its first count.
-- Refused when any counter is at its limit: {0, seconds until that counter expires, i}. On a cluster
-- each counter is its own slot: LoginThrottle passes one key at a time.
-- Otherwise every counter counts the attempt: {1, count of KEYS[1], count of KEYS[2], ...}.
for i, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[2 * i - 1]) then
    return {0, math.max(redis.call('TTL', key), 1), i}
  end
end
local result = {1}
for i, key in ipairs(KEYS) do
  result[i + 1] = redis.call('INCR', key)
  if redis.call('TTL', key) < 0 then
    redis.call('EXPIRE', key, ARGV[2 * i])
  end
end
return result
