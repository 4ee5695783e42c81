import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { PgBoss, type Db, type JobInsert, type JobWithMetadata } from 'pg-boss';
import { AppConfig } from '../config/app-config.js';
import { SqlTransaction, type Transaction } from '../database/sql-transaction.js';
import type { InvitationEmailJob } from './invitation-outbox.js';
import { requeueLegacyJobs, setLegacySchemaAside } from './legacy-mail-queue.js';

/** pg-boss keeps its tables in their own schema, away from the entities' migrations. */
export const MAIL_QUEUE_SCHEMA = 'pgboss';
export const INVITATION_EMAIL_QUEUE = 'invitation-email';
/** Jobs whose every attempt failed land here; its worker marks the invitation `failed`. */
export const INVITATION_EMAIL_DEAD_LETTER_QUEUE = 'invitation-email-dead';

/**
 * Creates the queues (idempotent). Retry and expiry settings travel with each job instead (see
 * `MailQueue.jobOptions`), so changing the configuration applies to the next job without a queue
 * update.
 */
export async function installMailQueues(boss: PgBoss): Promise<void> {
  // The dead-letter queue first: the main queue's row references it.
  await boss.createQueue(INVITATION_EMAIL_DEAD_LETTER_QUEUE);
  await boss.createQueue(INVITATION_EMAIL_QUEUE, {
    deadLetter: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  });
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

/** The retry and expiry settings every invitation email job is inserted with. */
export function jobOptions(config: AppConfig): Omit<JobInsert, 'id' | 'data'> {
  return {
    retryLimit: config.mail.maxAttempts - 1,
    retryDelay: config.mail.retryDelaySeconds,
    retryBackoff: config.mail.retryBackoff,
    // pg-boss's own timeout for an active job; past it, maintenance fails the job so it is retried.
    expireInSeconds: Math.ceil(deliveryLeaseMs(config) / 1000) + 30,
    deadLetter: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  };
}

/** Adapts the caller's open transaction to pg-boss's `db` option, so a job commits with it. */
export function transactionDb(tx: Transaction): Db {
  if (tx instanceof SqlTransaction) {
    if (!tx.active) throw new Error('InvitationOutbox.enqueue: this transaction has already ended');
    return {
      executeSql: async (text: string, values?: unknown[]) => ({
        rows: await tx.query(text, values ?? []),
      }),
    };
  }
  const runner = tx.queryRunner;
  if (!runner?.isTransactionActive) {
    throw new Error(
      'InvitationOutbox.enqueue needs an open transaction (sql.transaction(tx => ...), or the EntityManager of dataSource.transaction(manager => ...))',
    );
  }
  return {
    executeSql: async (text: string, values?: unknown[]) => {
      const result = await runner.query(text, values, true);
      return { rows: result.records ?? [] };
    },
  };
}

export type MailJob = JobWithMetadata<InvitationEmailJob>;

/**
 * The pg-boss instance of this process: installs its schema and queues at start (pg-boss migrates
 * itself, outside TypeORM's migrations), and closes its pool after the worker has drained.
 */
@Injectable()
export class MailQueue implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('MailQueue');
  readonly boss: PgBoss;

  constructor(private readonly config: AppConfig) {
    const { url } = config.database;
    if (!url) throw new Error('MailQueue needs DATABASE_URL');
    this.boss = new PgBoss({
      connectionString: url,
      application_name: 'brms-mail',
      schema: MAIL_QUEUE_SCHEMA,
      // The worker's fetches and completions in flight, and maintenance.
      max: config.mail.concurrency + 3,
      migrate: true,
      // Maintenance (expiring jobs whose worker died, archiving) runs where a worker runs.
      supervise: config.mail.workerEnabled,
      schedule: false,
    });
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  async onModuleInit(): Promise<void> {
    const url = this.config.database.url!;
    await setLegacySchemaAside(url, MAIL_QUEUE_SCHEMA);
    await this.boss.start();
    await installMailQueues(this.boss);
    const moved = await requeueLegacyJobs(url, this.boss, [
      INVITATION_EMAIL_QUEUE,
      INVITATION_EMAIL_DEAD_LETTER_QUEUE,
    ]);
    if (moved > 0) this.logger.log(`${moved} job(s) carried over from the pg-boss 10 schema`);
  }

  async onApplicationShutdown(): Promise<void> {
    // The worker has stopped in onModuleDestroy; nothing is in flight by now.
    await this.boss.stop({ graceful: false, close: true });
  }

  /**
   * Inserts the jobs through the caller's transaction, all in one statement (pg-boss's `insert`,
   * one round trip however many jobs); nothing is visible until the transaction commits.
   */
  async enqueue(tx: Transaction, jobs: InvitationEmailJob[]): Promise<void> {
    const db = transactionDb(tx);
    if (jobs.length === 0) return;
    const options = jobOptions(this.config);
    await this.boss.insert(
      INVITATION_EMAIL_QUEUE,
      jobs.map((job) => ({
        ...options,
        id: jobIdFor(job),
        data: { invitationId: job.invitationId, generation: job.generation },
      })),
      { db },
    );
  }

  /**
   * Hands active jobs back to the queue without counting an attempt (a worker shutting down),
   * fetchable `delayMs` from now. pg-boss 12 fails what is still running when `stop()`'s grace
   * ends (an attempt counted, dead-lettered on the last one), and `cancel`/`resume` keep the job's
   * `started_on`, so its next fetch counts one too. So each job is taken out and inserted again
   * in one transaction, its remaining attempts as its new retry limit. Both calls are fenced to
   * the attempt the caller fetched: a job that expired in its hands and runs elsewhere is left
   * alone.
   */
  async release(queue: string, jobs: MailJob[], delayMs: number): Promise<void> {
    if (jobs.length === 0) return;
    const tx = await this.boss.getDb().beginTransaction!();
    try {
      // pg-boss 12 answers with the ids it deleted (`settled`); its type does not declare them.
      const { settled } = (await this.boss.deleteJob(
        queue,
        jobs.map((job) => ({ id: job.id, retryCount: job.retryCount })),
        { db: tx.db },
      )) as { settled?: string[] };
      const deleted = new Set(settled ?? []);
      const again = jobs.filter((job) => deleted.has(job.id));
      if (again.length > 0) {
        await this.boss.insert(
          queue,
          again.map((job) => ({
            id: job.id,
            data: job.data,
            retryLimit: Math.max(0, job.retryLimit - job.retryCount),
            retryDelay: job.retryDelay,
            retryBackoff: job.retryBackoff,
            expireInSeconds: job.expireInSeconds,
            deadLetter: job.deadLetter ?? undefined,
            startAfter: new Date(Date.now() + delayMs),
          })),
          { db: tx.db },
        );
      }
      await tx.commit();
    } catch (error) {
      await tx.rollback();
      throw error;
    }
  }
}
