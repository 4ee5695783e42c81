import type { Pool } from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * The `rate_limits` table's one door: every statement on it is rate-limiter-flexible's own (its
 * PostgreSQL store, whose upsert the library maintains), so this repository hands the library the
 * table and TypeORM's pool rather than holding SQL. A counter here is shared by every instance of
 * the service, and nothing else has to run.
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
