// Private: the Lua scripts of RedisStorage. Redis runs a script atomically: no other command
// runs between its reads and its writes.

/**
 * The compare-and-set write. KEYS[1]: the credentials hash. ARGV: the JSON, the expected
 * generation ("" for "nothing stored"), the new set's generation. Returns 1 when written.
 */
export const STORE_IF = `
local stored = redis.call('HGET', KEYS[1], 'generation')
if ARGV[2] == '' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
elseif stored ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], 'credentials', ARGV[1], 'generation', ARGV[3])
return 1
`;

/** Extends the lease KEYS[1] to ARGV[2] ms when ARGV[1] holds it. Returns 1 when renewed. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

/** Deletes the lease KEYS[1] when ARGV[1] holds it. Returns 1 when released. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;
