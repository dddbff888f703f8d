-- One page of the rooms index by name, with each room's distinct users, in one step of its slot.
-- KEYS: 1 index (sorted set, scores 0), 2 counts hash room -> "<version> <users>"
-- ARGV: 1 the last room of the previous page ('' for the first page), 2 how many rooms at most
-- Returns {room, users, room, users, ...}, with one room more than asked when there are more.
local from = '-'
if ARGV[1] ~= '' then from = '(' .. ARGV[1] end
local names = redis.call('ZRANGEBYLEX', KEYS[1], from, '+', 'LIMIT', 0, tonumber(ARGV[2]) + 1)
local out = {}
for _, name in ipairs(names) do
  local value = redis.call('HGET', KEYS[2], name) or '0 0'
  out[#out + 1] = name
  out[#out + 1] = tonumber(string.match(value, ' (%d+)$')) or 0
end
return out
