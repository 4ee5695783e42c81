import type { Pool } from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * A counter in rate-limiter-flexible's PostgreSQL store (the `rate_limits` table), on TypeORM's own
 * pool: every instance of the service shares it and nothing else has to run.
 */
export function postgresRateLimiter(
  dataSource: DataSource,
  limit: { keyPrefix: string; points: number; windowSeconds: number },
): RateLimiterPostgres {
  return new RateLimiterPostgres({
    storeClient: (dataSource.driver as PostgresDriver).master as Pool,
    storeType: 'pool',
    tableName: 'rate_limits',
    tableCreated: true, // by the migrations
    clearExpiredByTimeout: false,
    keyPrefix: limit.keyPrefix,
    points: limit.points,
    duration: limit.windowSeconds,
  });
}
