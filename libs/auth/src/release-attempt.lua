-- Gives back an attempt reserved by reserve-attempt.lua on each counter in KEYS that still holds one.
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') > 0 then
    redis.call('DECR', key)
  end
end
return 0
