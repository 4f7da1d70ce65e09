#!lua name=leaderboard
-- A game leaderboard as a Redis 7 function library (FUNCTION LOAD, then FCALL / FCALL_RO).
-- Keys: KEYS[1] all-time board (sorted set), KEYS[2] today's board, KEYS[3] the player's hash.

-- Submit a score atomically: the boards keep each player's best (ZADD GT), the day board
-- expires on its own, the player hash keeps name, best and games played.
-- ARGV: player id, score, display name, day-board TTL in seconds. Returns {best, all-time rank}.
local function submit(keys, args)
  local player, score, name, ttl = args[1], tonumber(args[2]), args[3], tonumber(args[4])
  if not score then return redis.error_reply('ERR score is not a number') end
  redis.call('ZADD', keys[1], 'GT', score, player)
  redis.call('ZADD', keys[2], 'GT', score, player)
  if redis.call('TTL', keys[2]) < 0 then redis.call('EXPIRE', keys[2], ttl) end
  redis.call('HSET', keys[3], 'name', name)
  redis.call('HINCRBY', keys[3], 'games', 1)
  local best = redis.call('ZSCORE', keys[1], player)
  redis.call('HSET', keys[3], 'best', best)
  return {best, redis.call('ZREVRANK', keys[1], player) + 1}
end

local function entries(board, from, to)
  local flat = redis.call('ZREVRANGE', board, from, to, 'WITHSCORES')
  local out = {}
  for i = 1, #flat, 2 do
    out[#out + 1] = {from + (i + 1) / 2, flat[i], flat[i + 1]}
  end
  return out
end

-- The first N players: {{rank, player, score}, ...}. ARGV: N.
local function top(keys, args)
  return entries(keys[1], 0, tonumber(args[1]) - 1)
end

-- The players ranked around one player (k above and k below). ARGV: player id, k.
local function around(keys, args)
  local rank = redis.call('ZREVRANK', keys[1], args[1])
  if not rank then return {} end
  local k = tonumber(args[2])
  return entries(keys[1], math.max(0, rank - k), rank + k)
end

-- Remove the boards given as keys; returns how many existed.
local function reset(keys)
  return redis.call('DEL', unpack(keys))
end

redis.register_function('lb_submit', submit)
redis.register_function{function_name = 'lb_top', callback = top, flags = {'no-writes'},
                        description = 'top N players with ranks'}
redis.register_function{function_name = 'lb_around', callback = around, flags = {'no-writes'},
                        description = 'players ranked around one player'}
redis.register_function('lb_reset', reset)
