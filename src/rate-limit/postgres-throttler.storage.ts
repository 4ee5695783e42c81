import { Logger } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { RateLimiterRes, type RateLimiterPostgres } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { postgresRateLimiter } from './rate-limits.repository.js';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

const toSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * @nestjs/throttler's counters in PostgreSQL, never in memory: every instance of the service
 * spends from one budget per throttler and client. A request over the limit is refused until the
 * window ends (no longer block: `blockDuration` is not used).
 */
export class PostgresThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('RateLimit');
  private readonly limiters = new Map<string, RateLimiterPostgres>();

  constructor(private readonly dataSource: DataSource) {}

  async increment(
    key: string,
    ttlMs: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const windowSeconds = Math.ceil(ttlMs / 1000);
    try {
      const res = await this.limiter(throttlerName, limit, windowSeconds).consume(key);
      return {
        totalHits: res.consumedPoints,
        timeToExpire: toSeconds(res.msBeforeNext),
        isBlocked: false,
        timeToBlockExpire: 0,
      };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const wait = toSeconds(error.msBeforeNext);
        return {
          totalHits: error.consumedPoints,
          timeToExpire: wait,
          isBlocked: true,
          timeToBlockExpire: wait,
        };
      }
      // The store is the database: when it is down the request fails on its own anyway; do not
      // turn a counting problem into a refusal.
      this.logger.warn(`rate limit ${throttlerName} not counted: ${String(error)}`);
      return { totalHits: 0, timeToExpire: windowSeconds, isBlocked: false, timeToBlockExpire: 0 };
    }
  }

  private limiter(keyPrefix: string, points: number, windowSeconds: number): RateLimiterPostgres {
    const id = `${keyPrefix}/${points}/${windowSeconds}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = postgresRateLimiter(this.dataSource, { keyPrefix, points, windowSeconds });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }
}
