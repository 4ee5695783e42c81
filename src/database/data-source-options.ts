import type { DataSourceOptions } from 'typeorm';
import { ENTITIES } from './entities.js';
import { MIGRATIONS } from './migrations.js';

/**
 * The one definition of how this service talks to PostgreSQL. `ormconfig.ts` (the CLI's
 * DataSource) and the app's TypeOrmModule both derive from it.
 */
export function dataSourceOptions(
  url: string,
  poolSize = 10,
  statementTimeoutMs = 0,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // gen_random_uuid() is built into PostgreSQL 13+; uuid-ossp would need an extension installed.
    uuidExtension: 'pgcrypto',
    poolSize,
    extra: {
      // Fail fast instead of hanging when the database is unreachable.
      connectionTimeoutMillis: 5000,
      // A database that accepts connections but stops answering must not hang requests either.
      ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
    },
  };
}
