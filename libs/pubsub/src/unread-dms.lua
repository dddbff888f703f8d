-- Counts the DMs to the user stored after the user's DM-seen mark, reading the stream in pages inside
-- Redis so that only a count leaves it (the stream is capped at HISTORY_MAX_DMS_PER_USER entries).
-- KEYS: 1 the user's DM-seen mark (a message id, absent when never set), 2 the user's DM stream
-- ARGV: 1 what a DM to the user holds in its JSON ('"to":"<user>","text":'), 2 page size
-- Returns {mark, count, id of the stream's last entry read (the mark when none)}.
local seen = redis.call('GET', KEYS[1]) or '0'
local pattern, pageSize = ARGV[1], tonumber(ARGV[2])
local cursor, last, count = '(' .. seen .. '-0', seen, 0
while true do
  local entries = redis.call('XRANGE', KEYS[2], cursor, '+', 'COUNT', pageSize)
  for _, entry in ipairs(entries) do
    if string.find(entry[2][2], pattern, 1, true) then count = count + 1 end
  end
  if #entries == 0 then break end
  last = string.match(entries[#entries][1], '^(%d+)')
  cursor = '(' .. entries[#entries][1]
  if #entries < pageSize then break end
end
return {seen, count, last}
