import type { EntityManager, QueryResult } from 'typeorm';

/**
 * The rows one statement answers: SELECT rows, and the RETURNING rows of INSERT, UPDATE and DELETE
 * alike. `manager.query` answers UPDATE and DELETE as `[rows, count]`; the structured result of
 * the query runner holds the rows as `records` whatever the command. Inside a transaction the
 * statement runs on its connection; outside one, on a connection lent for this statement only.
 */
export async function rowsOf<T>(
  db: EntityManager,
  text: string,
  values: readonly unknown[] = [],
): Promise<T[]> {
  const runner = db.queryRunner ?? db.dataSource.createQueryRunner();
  try {
    const result = (await runner.query(text, [...values], true)) as QueryResult<T>;
    return result.records ?? [];
  } finally {
    if (!db.queryRunner) await runner.release();
  }
}
