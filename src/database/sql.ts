import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';
import { SqlTransaction, rowsOf } from './sql-transaction.js';

export { SqlTransaction, type Statements, type Transaction } from './sql-transaction.js';

/**
 * Plain statements and transactions on TypeORM's own connection pool (same connections, pool size,
 * timeouts and statement timeout as the rest of the service), without TypeORM's per-statement
 * machinery.
 *
 * For the paths that only run hand-written SQL (the invitation endpoints, the auth guard, the mail
 * worker's claims and records), with statements prepared by name (`preparedName`), which TypeORM's
 * `manager.query` cannot do. Entities, migrations, the query builder and everything else stay on
 * TypeORM.
 *
 * Errors are the driver's own (`code` is the SQLSTATE), as TypeORM's QueryFailedError also carries
 * it: isRetryable and the exception filter read `code` from either.
 */
@Injectable()
export class Sql {
  private readonly pool: Pool;

  constructor(@InjectDataSource() dataSource: DataSource) {
    // TypeORM's `master` is the pg Pool it created from the data source options.
    this.pool = (dataSource.driver as PostgresDriver).master as Pool;
  }

  /** One statement on a pooled connection, outside any transaction. */
  async query<T extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<T[]> {
    return rowsOf<T>(this.pool, text, values);
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED, as `dataSource.transaction`): committed when it
   * resolves, rolled back when it throws, and the error rethrown. A connection that failed (or whose
   * rollback failed) is closed rather than returned to the pool: no later request inherits it.
   */
  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx = new SqlTransaction(client);
    let broken: Error | undefined;
    // pg-pool stops listening for a client's errors while it is lent out; a connection that dies
    // between two statements would otherwise emit 'error' with no listener and end the process.
    const onError = (error: Error) => {
      broken ??= error;
      tx.fail(error);
    };
    client.on('error', onError);
    try {
      // The same text as TypeORM's, so pg_stat_statements counts both as one statement.
      await rowsOf(client, 'START TRANSACTION');
      const result = await work(tx);
      tx.end();
      await rowsOf(client, 'COMMIT');
      return result;
    } catch (error) {
      tx.end();
      try {
        await rowsOf(client, 'ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
      }
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }
}
