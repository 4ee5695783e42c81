import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { AppConfig } from '../config/app-config.js';
import { SqlTransaction, type Transaction } from '../database/sql-transaction.js';
import type { InvitationEmailJob } from './invitation-outbox.js';

/** pg-boss keeps its tables in their own schema, away from the entities' migrations. */
export const MAIL_QUEUE_SCHEMA = 'pgboss';
export const INVITATION_EMAIL_QUEUE = 'invitation-email';
/** Jobs whose every attempt failed land here; its worker marks the invitation `failed`. */
export const INVITATION_EMAIL_DEAD_LETTER_QUEUE = 'invitation-email-dead';

/**
 * An index in pg-boss's fetch order (ours, in pg-boss's schema). pg-boss 10 indexes waiting jobs
 * by (name, start_after) only, so every fetch reads and sorts the whole backlog to return its
 * first few: 9-13 ms per fetch with 10 000 queued in the outbox-drain benchmark, growing with the
 * backlog. In this order PostgreSQL reads just the jobs it returns (0.1 ms).
 */
export const FETCH_ORDER_INDEX = 'brms_job_fetch_order';

/**
 * Creates the queues and the fetch-order index (idempotent). Retry and expiry settings travel with
 * each job instead (see `jobOptions`), so changing the configuration applies to the next job
 * without a queue update.
 */
export async function installMailQueues(boss: PgBoss): Promise<void> {
  // The dead-letter queue first: the main queue's row references it.
  await boss.createQueue(INVITATION_EMAIL_DEAD_LETTER_QUEUE, {
    name: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  });
  await boss.createQueue(INVITATION_EMAIL_QUEUE, {
    name: INVITATION_EMAIL_QUEUE,
    deadLetter: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  });
  const db = boss.getDb();
  // Looked up first: CREATE INDEX IF NOT EXISTS takes its lock on the job table (which waits for,
  // and then holds up, every transaction enqueuing jobs) before it finds the index there, and every
  // instance runs this at start. On an existing backlog the first creation holds that lock for as
  // long as the build takes.
  const { rows } = await db.executeSql(`SELECT to_regclass($1) IS NOT NULL AS present`, [
    `${MAIL_QUEUE_SCHEMA}.${FETCH_ORDER_INDEX}`,
  ]);
  if ((rows[0] as { present: boolean }).present) return;
  // Two instances starting together can both get here. CREATE INDEX's lock does not keep them
  // apart (SHARE does not conflict with itself), and IF NOT EXISTS looks before it builds: the
  // second to commit its catalog row fails on pg_class's unique name (23505), or sees the first's
  // (42P07), once the first has committed. Either way the index exists: that is the goal.
  try {
    await db.executeSql(
      `CREATE INDEX IF NOT EXISTS ${FETCH_ORDER_INDEX} ON ${MAIL_QUEUE_SCHEMA}.job
         (name, priority DESC, created_on, id) WHERE state < 'active'`,
      [],
    );
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== '23505' && code !== '42P07') throw error;
  }
}

/**
 * The connection the worker fetches on: its planner must not sort (`enable_sort=off`), so it walks
 * FETCH_ORDER_INDEX even when the statistics still describe the queue as nearly empty (after a
 * burst of invitations, until autovacuum analyzes the table), when a sort looks cheaper to it.
 * Without the index the fetch still sorts, as before. And no JIT (`jit=off`): before PostgreSQL 18
 * a disabled plan node adds a cost of 10^10 to the plan, far above `jit_above_cost`, so where the
 * server has JIT (Debian's PostgreSQL 15, for one) every fetch was compiled by LLVM first, about
 * 250 ms each (the outbox-drain benchmark against PostgreSQL 15: 70-100 messages/s, 4 ms fetches
 * afterwards). A fetch returns a few dozen rows; compiling never pays for it.
 */
export function createFetchPool(url: string, onError: (error: Error) => void): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    application_name: 'brms-mail-fetch',
    // The worker's loops fetch one batch at a time; a second loop's fetch waits its turn.
    max: 1,
    options: '-c enable_sort=off -c jit=off',
  });
  pool.on('error', onError);
  return pool;
}

/**
 * The job id is derived from the invitation and its generation, so enqueuing the same email twice
 * (a retried transaction, a caller calling twice) inserts one job: pg-boss inserts with
 * ON CONFLICT DO NOTHING on the id. Formatted as a UUID (version 8: custom).
 */
export function jobIdFor(job: InvitationEmailJob): string {
  const h = createHash('sha256')
    .update(`${INVITATION_EMAIL_QUEUE}:${job.invitationId}:${job.generation}`)
    .digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * How long one worker may hold an invitation while it sends (the row's `delivery_lease_until`):
 * longer than a send can take. A job may wait for one send ahead of it to free an SMTP slot (the
 * worker runs twice MAIL_WORKER_CONCURRENCY jobs), then sends; MAIL_SEND_TIMEOUT bounds each.
 */
export function deliveryLeaseMs(config: AppConfig): number {
  return 2 * config.mail.sendTimeoutMs + 30_000;
}

/** pg-boss's own timeout for an active job; past it, maintenance fails the job so it is retried. */
function expireInSeconds(config: AppConfig): number {
  return Math.ceil(deliveryLeaseMs(config) / 1000) + 30;
}

/** Adapts the caller's open transaction to pg-boss's `db` option, so a job commits with it. */
export function transactionDb(tx: Transaction): PgBoss.Db {
  if (tx instanceof SqlTransaction) {
    if (!tx.active) throw new Error('InvitationOutbox.enqueue: this transaction has already ended');
    return {
      // Not async: like SqlTransaction.query, one promise fewer per statement.
      executeSql: (text: string, values: unknown[]) =>
        tx.query(text, values).then((rows) => ({ rows })),
    };
  }
  const runner = tx.queryRunner;
  if (!runner?.isTransactionActive) {
    throw new Error(
      'InvitationOutbox.enqueue needs an open transaction (sql.transaction(tx => ...), or the EntityManager of dataSource.transaction(manager => ...))',
    );
  }
  return {
    executeSql: async (text: string, values: unknown[]) => {
      const result = await runner.query(text, values, true);
      return { rows: result.records ?? [] };
    },
  };
}

export type MailJob = PgBoss.JobWithMetadata<InvitationEmailJob>;

/**
 * The pg-boss instance of this process: installs its schema and queues at start (pg-boss migrates
 * itself, outside TypeORM's migrations), and closes its pool after the worker has drained.
 */
@Injectable()
export class MailQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MailQueue');
  readonly boss: PgBoss;
  /** The worker's fetch connection and pg-boss's `db` over it, opened on first use. */
  private fetchConnection?: { pool: pg.Pool; db: PgBoss.Db };

  constructor(private readonly config: AppConfig) {
    const { url } = config.database;
    if (!url) throw new Error('MailQueue needs DATABASE_URL');
    this.boss = new PgBoss({
      connectionString: url,
      application_name: 'brms-mail',
      schema: MAIL_QUEUE_SCHEMA,
      // The worker's completions in flight, and maintenance (fetches have their own connection).
      max: config.mail.concurrency + 3,
      migrate: true,
      // Maintenance (expiring jobs whose worker died, archiving) runs where a worker runs.
      supervise: config.mail.workerEnabled,
      schedule: false,
    });
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    await this.boss.start();
    await installMailQueues(this.boss);
  }

  async onApplicationShutdown(): Promise<void> {
    // The worker has stopped in onModuleDestroy; nothing is in flight by now.
    await this.boss.stop({ graceful: false, close: true });
    await this.fetchConnection?.pool.end();
  }

  /** pg-boss's `db` for fetches: the fetch pool, opened on first use (only workers fetch). */
  fetchDb(): PgBoss.Db {
    if (!this.fetchConnection) {
      const pool = createFetchPool(this.config.database.url!, (error) =>
        this.logger.error(`mail fetch connection: ${error.message}`),
      );
      this.fetchConnection = {
        pool,
        db: { executeSql: (text, values) => pool.query(text, values) },
      };
    }
    return this.fetchConnection.db;
  }

  /**
   * Inserts the jobs through the caller's transaction, all in one statement (pg-boss's `insert`,
   * one round trip however many jobs); nothing is visible until the transaction commits. The rows
   * are those `send` would write, one at a time: same ids, options and ON CONFLICT DO NOTHING.
   */
  async enqueue(tx: Transaction, jobs: InvitationEmailJob[]): Promise<void> {
    const db = transactionDb(tx);
    if (jobs.length === 0) return;
    const options = {
      name: INVITATION_EMAIL_QUEUE,
      retryLimit: this.config.mail.maxAttempts - 1,
      retryDelay: this.config.mail.retryDelaySeconds,
      retryBackoff: this.config.mail.retryBackoff,
      expireInSeconds: expireInSeconds(this.config),
      deadLetter: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
    };
    await this.boss.insert(
      jobs.map((job) => ({
        ...options,
        id: jobIdFor(job),
        data: { invitationId: job.invitationId, generation: job.generation },
      })),
      { db },
    );
  }

  /** Claims up to `count` jobs (FOR UPDATE SKIP LOCKED: no two workers get the same job). */
  async fetch(queue: string, count: number): Promise<MailJob[]> {
    return this.boss.fetch<InvitationEmailJob>(queue, {
      batchSize: count,
      includeMetadata: true,
      db: this.fetchDb(),
    });
  }

  /** Completes the jobs, all in one statement. */
  async complete(queue: string, ids: string[]): Promise<void> {
    if (ids.length > 0) await this.boss.complete(queue, ids);
  }

  /** Fails the job: retried after the backoff, or moved to the dead-letter queue when exhausted. */
  async fail(queue: string, id: string, message: string): Promise<void> {
    await this.boss.fail(queue, id, { message });
  }

  /**
   * Hands active jobs back to the queue without counting an attempt (a worker shutting down):
   * waiting again (`created`, or `retry` after an earlier failure), fetchable `delayMs` from now,
   * `message` in their output. pg-boss 10 has no such call: `fail` counts the attempt and, on the
   * last one, dead-letters the job, so a deploy during a send failed the invitation for good.
   * pg-boss counts an attempt when it fetches a job that started before (`started_on` set), so
   * clearing `started_on` is what keeps the count. Each job is touched only while it is still the
   * caller's fetch of it: active with the retry count it was fetched with (a job that expired in
   * the caller's hands and was fetched again elsewhere has a higher one). One UPDATE on pg-boss's
   * job table, for the standard queue policy ours use: on a pg-boss upgrade, check it with
   * FETCH_ORDER_INDEX (test/mail-queue.e2e-spec.ts and the shutdown cases of
   * test/mail-worker.e2e-spec.ts cover it).
   */
  async release(
    queue: string,
    jobs: { id: string; retryCount: number }[],
    message: string,
    delayMs: number,
  ): Promise<void> {
    if (jobs.length === 0) return;
    await this.boss.getDb().executeSql(
      `UPDATE ${MAIL_QUEUE_SCHEMA}.job AS j
          SET state = (CASE WHEN j.retry_count > 0 THEN 'retry' ELSE 'created' END)::${MAIL_QUEUE_SCHEMA}.job_state,
              started_on = NULL,
              start_after = now() + $4 * interval '1 millisecond',
              output = jsonb_build_object('message', $3::text)
         FROM unnest($2::uuid[], $5::int[]) AS r(id, retry_count)
        WHERE j.name = $1 AND j.id = r.id AND j.retry_count = r.retry_count AND j.state = 'active'`,
      [queue, jobs.map((job) => job.id), message, delayMs, jobs.map((job) => job.retryCount)],
    );
  }
}
