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

/**
 * One statement through pg's callback API, resolving with its rows: one promise, where pg's promise
 * API makes two (and a `.then` for the rows a third). Per request that was about 30 promises, and
 * on Node.js 20 every promise runs the async hooks of the logging context's AsyncLocalStorage.
 * What is lost: pg's promise API re-captures a failed statement's stack where it is awaited; here
 * a driver error keeps the stack of the socket read that brought it (its message, code and detail
 * are the same).
 */
export function rowsOf<T extends QueryResultRow>(
  queryable: Pick<PoolClient, 'query'>,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  return new Promise<T[]>((resolve, reject) => {
    queryable.query<T>(text, values ?? [], (error, result) =>
      error ? reject(error) : resolve(result.rows),
    );
  });
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

  // Not async: an async function and its await would add two promises per statement, and each
  // promise costs an async hook while nestjs-pino's AsyncLocalStorage is on.
  query<T extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<T[]> {
    if (!this.open) return Promise.reject(new Error('This transaction has already ended'));
    // pg would answer "Client has encountered a connection error and is not queryable"; the
    // connection's own error says what happened (and is what the exception filter recognises).
    if (this.connectionError) return Promise.reject(this.connectionError);
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
