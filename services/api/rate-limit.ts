/**
 * Per-tenant token buckets sized by tier (`requestsPerMinute`, burst = a quarter
 * of that). Exact across api nodes with Redis (one Lua script, atomic); in
 * memory on a single embedded node.
 */
import type Redis from 'ioredis';

export interface RateDecision {
  allowed: boolean;
  /** Tokens left after this request. */
  remaining: number;
  /** Seconds until one token is available (when refused). */
  retryAfterSec: number;
}

export interface RateLimiter {
  take(key: string, perMinute: number): Promise<RateDecision>;
}

function burstOf(perMinute: number): number {
  return Math.max(1, Math.floor(perMinute / 4));
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly now: () => number = () => Date.now()) {}

  async take(key: string, perMinute: number): Promise<RateDecision> {
    const cap = burstOf(perMinute);
    const rate = perMinute / 60_000;
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: cap, at: t };
    b.tokens = Math.min(cap, b.tokens + (t - b.at) * rate);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { allowed: true, remaining: Math.floor(b.tokens), retryAfterSec: 0 };
    }
    return { allowed: false, remaining: 0, retryAfterSec: Math.ceil((1 - b.tokens) / rate / 1000) };
  }
}

const LUA = `
local cap = tonumber(ARGV[1]); local rate = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 't', 'a')
local tokens = tonumber(v[1]) or cap; local at = tonumber(v[2]) or now
tokens = math.min(cap, tokens + (now - at) * rate)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 't', tokens, 'a', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
return {ok, tostring(tokens)}`;

export class RedisRateLimiter implements RateLimiter {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async take(key: string, perMinute: number): Promise<RateDecision> {
    const cap = burstOf(perMinute);
    const rate = perMinute / 60_000;
    // Redis server time keeps nodes with skewed clocks consistent.
    const [sec, usec] = await this.redis.time();
    const now = Number(sec) * 1000 + Math.floor(Number(usec) / 1000);
    const [ok, tokensStr] = (await this.redis.eval(LUA, 1, `${this.prefix}rl:${key}`, cap, rate, now)) as [number, string];
    const tokens = Number(tokensStr);
    if (ok === 1) return { allowed: true, remaining: Math.floor(tokens), retryAfterSec: 0 };
    return { allowed: false, remaining: 0, retryAfterSec: Math.ceil((1 - tokens) / rate / 1000) };
  }
}
