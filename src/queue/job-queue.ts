import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import {
  PgBoss,
  type Db,
  type JobInsert,
  type PerJobWorkWithMetadataHandler,
  type JobWithMetadata,
  type Queue,
  type WorkOptions,
} from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { rowsOf } from '../database/statements.js';
import { carryOverPgBoss10Jobs, setPgBoss10SchemaAside } from './pg-boss-10-upgrade.js';

/** pg-boss keeps its tables in their own schema, away from the entities' migrations. */
export const QUEUE_SCHEMA = 'pgboss';

export type QueueDefinition = Pick<Queue, 'name'> & Partial<Omit<Queue, 'name'>>;
export type QueuedJob<T extends object> = JobWithMetadata<T>;

/** pg-boss's `db` option on the caller's open transaction, so the jobs commit (or not) with it. */
export function transactionDb(tx: EntityManager): Db {
  if (!tx.queryRunner?.isTransactionActive) {
    throw new Error(
      'JobQueue.enqueue needs an open transaction: the EntityManager of dataSource.transaction(tx => ...)',
    );
  }
  return {
    // pg-boss reads `rows`.
    executeSql: async (text: string, values?: unknown[]) => ({
      rows: await rowsOf(tx, text, values),
    }),
  };
}

/**
 * The job queue (pg-boss 12) of this process, for any feature: it installs pg-boss's schema at
 * start (pg-boss migrates itself, outside TypeORM's migrations) and the queues a feature declares,
 * takes jobs inside the caller's transaction, runs handlers through pg-boss's `work()`, and closes
 * its pool once the handlers have stopped (their modules' destroy hooks run first).
 */
@Injectable()
export class JobQueue implements OnApplicationShutdown {
  private readonly logger = new Logger('JobQueue');
  /** pg-boss itself, for what this adapter does not wrap (tests, operators' scripts). */
  readonly boss: PgBoss;
  private started: Promise<void> | undefined;
  private readonly queues = new Set<string>();

  constructor(private readonly config: AppConfig) {
    const { url } = config.database;
    if (!url) throw new Error('JobQueue needs DATABASE_URL');
    this.boss = new PgBoss({
      connectionString: url,
      application_name: 'brms-queue',
      schema: QUEUE_SCHEMA,
      // The mail worker is the queue's one consumer today, so its settings size the pool (its
      // fetches and completions in flight, and maintenance) and say where maintenance runs.
      max: config.mail.concurrency + 3,
      migrate: true,
      supervise: config.mail.workerEnabled,
      schedule: false,
    });
    this.boss.on('error', (error) => this.logger.error(`pg-boss: ${error.message}`));
  }

  /**
   * Creates the queues (idempotent; a dead-letter queue before the queue naming it) once pg-boss
   * has started, and queues again what pg-boss 10 still held for them.
   */
  async install(queues: QueueDefinition[]): Promise<void> {
    await (this.started ??= this.start());
    for (const { name, ...options } of queues) {
      await this.boss.createQueue(name, options);
      this.queues.add(name);
    }
    const url = this.config.database.url!;
    const moved = await carryOverPgBoss10Jobs(url, this.boss, [...this.queues]);
    if (moved > 0) this.logger.log(`${moved} job(s) carried over from the pg-boss 10 schema`);
  }

  /** The installed queues that pg-boss does not know (any means jobs would never run). */
  async missingQueues(): Promise<string[]> {
    const found = await this.boss.getQueues([...this.queues]);
    const names = new Set(found.map((queue) => queue.name));
    return [...this.queues].filter((name) => !names.has(name));
  }

  /**
   * Inserts the jobs through the caller's transaction, all in one statement (one round trip
   * however many jobs); nothing is visible until the transaction commits. A job whose id exists
   * already is not inserted again.
   */
  async enqueue(tx: EntityManager, queue: string, jobs: JobInsert[]): Promise<void> {
    const db = transactionDb(tx);
    if (jobs.length > 0) await this.boss.insert(queue, jobs, { db });
  }

  /**
   * Runs `handler` on batches of the queue's jobs (pg-boss `work()`), with their metadata, until
   * shutdown; it answers each job's outcome.
   */
  async work<T extends object>(
    queue: string,
    options: Omit<WorkOptions, 'includeMetadata' | 'perJobResults' | 'transactional'>,
    handler: PerJobWorkWithMetadataHandler<T>,
  ): Promise<void> {
    await this.boss.work<T, unknown, WorkOptions & { includeMetadata: true; perJobResults: true }>(
      queue,
      { ...options, includeMetadata: true, perJobResults: true },
      handler,
    );
  }

  /** Stops fetching from these queues; the handlers running now go on. */
  async stopWork(queues: string[]): Promise<void> {
    await Promise.all(queues.map((name) => this.boss.offWork(name, { wait: false })));
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
  async release<T extends object>(
    queue: string,
    jobs: QueuedJob<T>[],
    delayMs: number,
  ): Promise<void> {
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

  async onApplicationShutdown(): Promise<void> {
    // The handlers have stopped (their modules were destroyed first); nothing is in flight.
    await this.boss.stop({ graceful: false, close: true });
  }

  private async start(): Promise<void> {
    await setPgBoss10SchemaAside(this.config.database.url!, QUEUE_SCHEMA);
    await this.boss.start();
  }
}
