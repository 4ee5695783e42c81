import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { RateLimiterRes, type RateLimiterPostgres } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { ProblemException } from '../errors/problem.js';
import { postgresRateLimiter } from './rate-limits.repository.js';
import { RATE_LIMIT_POLICIES, type RateLimitName } from './rate-limit.policies.js';

/**
 * Budgets that a feature spends by its own rule, with a cost (the per-organisation invitation
 * budget: one point per address), in the same PostgreSQL store as the per-client request limits.
 * Per-request limits are @nestjs/throttler's (RateLimitGuard).
 */
@Injectable()
export class RateLimitService {
  private readonly logger = new Logger(RateLimitService.name);
  private readonly limiters = new Map<RateLimitName, RateLimiterPostgres | null>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly config: AppConfig,
  ) {}

  /** Whether the policy counts at all (a limit of 0 switches it off). */
  isEnabled(name: RateLimitName): boolean {
    return this.limiter(name) !== null;
  }

  /** Spends `cost` of `key`'s budget, or throws 429 with Retry-After when it is used up. */
  async consume(name: RateLimitName, key: string, cost = 1): Promise<void> {
    const limiter = this.limiter(name);
    if (!limiter || cost <= 0) return;
    try {
      await limiter.consume(key, cost);
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const retryAfter = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        throw new ProblemException(429, {
          detail: `${RATE_LIMIT_POLICIES[name].describe}; retry in ${retryAfter} s`,
          headers: { 'Retry-After': String(retryAfter) },
        });
      }
      // The store is the database: when it is down the request fails on its own anyway; do not
      // turn a counting problem into a refusal.
      this.logger.warn(`rate limit ${name} not counted: ${String(error)}`);
    }
  }

  /** Gives back what a request spent but did not use (it failed before changing anything). */
  async refund(name: RateLimitName, key: string, cost: number): Promise<void> {
    const limiter = this.limiter(name);
    if (!limiter || cost <= 0) return;
    await limiter.reward(key, cost).catch((error: unknown) => {
      this.logger.warn(`rate limit ${name} not refunded: ${String(error)}`);
    });
  }

  private limiter(name: RateLimitName): RateLimiterPostgres | null {
    if (!this.limiters.has(name)) {
      const policy = RATE_LIMIT_POLICIES[name];
      const points = policy.points(this.config);
      this.limiters.set(
        name,
        points <= 0
          ? null
          : postgresRateLimiter(this.dataSource, {
              keyPrefix: name,
              points,
              windowSeconds: policy.windowSeconds,
            }),
      );
    }
    return this.limiters.get(name) ?? null;
  }
}
