import type { PoolClient, QueryResultRow } from 'pg';
import type { EntityManager } from 'typeorm';

// No runtime import of Nest or TypeORM here: mail-queue.ts (and through it the bench's baseline
// handler) uses SqlTransaction without loading either.

/**
 * An open transaction, whichever way it was opened: `Sql.transaction`'s, or the EntityManager of
 * TypeORM's `dataSource.transaction` (the CLI, and any module on the EntityManager). What writes
 * inside the caller's transaction (the outbox, the audit log) takes either.
 */
export type Transaction = SqlTransaction | EntityManager;

/** What both kinds of transaction have in common: a statement with positional parameters. */
export interface Statements {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** At most this many statement texts are prepared per process (and so per connection). */
export const MAX_PREPARED_STATEMENTS = 100;
const preparedNames = new Map<string, string>();

/**
 * The name a statement is prepared under on every connection (pg parses it there once, then only
 * binds and executes it), or undefined to send it unprepared: statements without parameters
 * (START TRANSACTION, COMMIT: nothing to plan, and the simple protocol is one message) and, past
 * MAX_PREPARED_STATEMENTS distinct texts, any new one, so that SQL built at run time cannot grow
 * every connection's set of prepared statements without bound.
 *
 * Why: PostgreSQL would parse and plan each statement on every execution, and the invite request's
 * multi-row upserts are costly to plan. Named statements need session pooling (or PgBouncer 1.21+ with
 * max_prepared_statements); rate-limiter-flexible's PostgreSQL store already names its statements.
 * PostgreSQL re-plans a prepared statement when a table it reads changes (migrations), but one
 * whose result columns change (`SELECT *`, `RETURNING *`) fails until its connection closes: name
 * the columns. And a value that throws while pg serializes it (a `toPostgres` that throws) can
 * leave that connection believing the statement is prepared when it is not (pg closes it): values
 * here are strings, numbers, dates and arrays of them.
 */
export function preparedName(
  text: string,
  values: readonly unknown[] | undefined,
): string | undefined {
  if (!values || values.length === 0) return undefined;
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED_STATEMENTS) {
    name = `brms_${preparedNames.size}`;
    preparedNames.set(text, name);
  }
  return name;
}

/** One statement, resolving with its rows; prepared by name (`preparedName`) when it has parameters. */
export async function rowsOf<T extends QueryResultRow>(
  queryable: Pick<PoolClient, 'query'>,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  const name = preparedName(text, values);
  const result =
    name === undefined
      ? await queryable.query<T>(text, values ?? [])
      : await queryable.query<T>({ name, text, values });
  return result.rows;
}

/**
 * The statements of one open transaction of `Sql.transaction`. `query` resolves with the rows
 * (RETURNING rows for INSERT, UPDATE and DELETE; none without RETURNING).
 */
export class SqlTransaction {
  private open = true;
  private connectionError: Error | undefined;

  constructor(private readonly client: PoolClient) {}

  /** False once the transaction has committed or rolled back: statements after that are refused. */
  get active(): boolean {
    return this.open;
  }

  async query<T extends QueryResultRow = QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<T[]> {
    if (!this.open) throw new Error('This transaction has already ended');
    // pg would answer "Client has encountered a connection error and is not queryable"; the
    // connection's own error says what happened (and is what the exception filter recognises).
    if (this.connectionError) throw this.connectionError;
    return rowsOf<T>(this.client, text, values);
  }

  /** @internal Sql.transaction's end of the transaction. */
  end(): void {
    this.open = false;
  }

  /** @internal Sql.transaction: the connection failed between statements. */
  fail(error: Error): void {
    this.connectionError ??= error;
  }
}
