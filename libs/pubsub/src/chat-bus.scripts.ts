/*
 * Stamps an event with the next cluster-wide id and publishes it in the Nest Redis transport's
 * packet format, in one atomic step: ids therefore rise in the order every instance receives them.
 * KEYS[1] id counter, KEYS[2] (optional) set of the sender's subscribers; ARGV[1] channel, ARGV[2] data JSON.
 */
export const STAMP_AND_PUBLISH_SCRIPT = `
local data = cjson.decode(ARGV[2])
data.id = string.format('%016d', redis.call('INCR', KEYS[1]))
if KEYS[2] then data.subscribers = redis.call('SMEMBERS', KEYS[2]) end
redis.call('PUBLISH', ARGV[1], cjson.encode({pattern = ARGV[1], data = data}))
return data.id`;
