import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { JobResult } from 'pg-boss';
import { AppConfig } from '../../config/app-config.js';
import { JobQueue, type QueuedJob } from '../../queue/job-queue.js';
import { InvitationDelivery } from './invitation-delivery.service.js';
import {
  INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  INVITATION_EMAIL_QUEUE,
  deliveryLeaseMs,
  type InvitationEmailJob,
} from './invitation-outbox.js';

type MailJob = QueuedJob<InvitationEmailJob>;
const QUEUES = [INVITATION_EMAIL_QUEUE, INVITATION_EMAIL_DEAD_LETTER_QUEUE];

/** Added to a released job's wait for its lease: clocks of different hosts disagree a little. */
const RELEASE_CLOCK_MARGIN_MS = 30_000;

/**
 * The delivery worker of this process (MAIL_WORKER_ENABLED): sends invitation emails, and turns
 * dead-lettered jobs into `failed` invitations, through pg-boss's `work()`. Starts once the app is
 * up; on shutdown (SIGTERM closes the app) it stops fetching, lets the jobs in flight finish for
 * up to MAIL_SHUTDOWN_TIMEOUT and releases the rest (no attempt counted). Nest runs this module's
 * destroy hook before the global mailer's and database's, so the transport and the database are
 * still there meanwhile.
 */
@Injectable()
export class InvitationEmailWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('InvitationEmailWorker');
  /** Jobs whose handler runs now, with its promise: what shutdown waits for or releases. */
  private readonly inFlight = new Map<string, { job: MailJob; done: Promise<unknown> }>();
  private started = false;

  constructor(
    private readonly config: AppConfig,
    private readonly queue: JobQueue,
    private readonly delivery: InvitationDelivery,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { workerEnabled, concurrency, pollIntervalMs } = this.config.mail;
    if (!workerEnabled) return;
    this.started = true;
    const pollingIntervalSeconds = pollIntervalMs / 1000;
    // Two batches of `concurrency` jobs: while one batch sends, the other claims or records, and
    // a full batch fetches the next at once.
    await this.queue.work<InvitationEmailJob>(
      INVITATION_EMAIL_QUEUE,
      {
        pollingIntervalSeconds,
        batchSize: concurrency,
        localConcurrency: 2,
        burstWhenBatchFull: true,
      },
      (jobs: MailJob[]) => this.runBatch(jobs, (job) => this.delivery.deliver(job.data)),
    );
    await this.queue.work<InvitationEmailJob>(
      INVITATION_EMAIL_DEAD_LETTER_QUEUE,
      { pollingIntervalSeconds },
      (jobs: MailJob[]) =>
        this.runBatch(jobs, (job) => this.delivery.recordDeadLetter(job.data, lastError(job))),
    );
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.started) return;
    await this.queue.stopWork(QUEUES);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight.values()].map((run) => run.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, this.config.mail.shutdownTimeoutMs))),
    ]);
    clearTimeout(timer);
    // A job released while sending holds its invitation's lease; a retry waits for its end, plus a
    // margin: the lease is on the claiming process's clock, the delay on the database's.
    const delayMs = deliveryLeaseMs(this.config) + RELEASE_CLOCK_MARGIN_MS;
    for (const name of QUEUES) {
      const running = [...this.inFlight.values()]
        .map((run) => run.job)
        .filter((job) => job.name === name);
      await this.queue
        .release(name, running, delayMs)
        .catch((error: unknown) =>
          this.logger.error(
            `${name}: could not release ${running.length} job(s): ${String(error)}`,
          ),
        );
    }
  }

  /** Runs a batch's jobs side by side; each job's outcome is its own (`perJobResults`). */
  private async runBatch(
    jobs: MailJob[],
    handle: (job: MailJob) => Promise<unknown>,
  ): Promise<JobResult[]> {
    return Promise.all(
      jobs.map(async (job): Promise<JobResult> => {
        const done = handle(job);
        this.inFlight.set(job.id, { job, done });
        try {
          await done;
          return { id: job.id, status: 'completed' };
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          this.logger.warn(
            `${job.name} job ${job.id} failed (attempt ${job.retryCount + 1} of ${job.retryLimit + 1}): ${message}`,
          );
          return { id: job.id, status: 'failed', output: { message } };
        } finally {
          this.inFlight.delete(job.id);
        }
      }),
    );
  }
}

/** The failure pg-boss recorded for the last attempt (kept on the dead-letter job). */
function lastError(job: MailJob): string | undefined {
  const output = (job.sourceOutput ?? job.output) as {
    message?: unknown;
    value?: { message?: unknown };
  } | null;
  const value = output?.message ?? output?.value?.message;
  return typeof value === 'string' ? value : undefined;
}
