-- One client's cluster-wide quota: GCRA (the generic cell rate algorithm, as governor runs it
-- in each instance), atomic because Redis runs a script alone. The key holds the theoretical
-- arrival time (TAT) in microseconds of Redis's own clock, so the instances' clocks never matter,
-- and expires once the bucket is full again, so Redis keeps only active clients.
--
-- KEYS[1]  the client's key
-- ARGV[1]  emission interval: microseconds per request (1e6 / per_second)
-- ARGV[2]  burst: requests allowed at once
-- Returns 0 when the request is allowed (and counted), otherwise the microseconds to wait.
if redis.replicate_commands then
  redis.replicate_commands() -- Redis < 5: TIME before a write needs effects replication
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
local new_tat = tat + interval
local allow_at = new_tat - interval * burst
if now < allow_at then
  return allow_at - now
end
-- '%.0f': Lua 5.1's tostring keeps only 14 significant digits, too few for microseconds.
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil((new_tat - now) / 1000))
return 0
