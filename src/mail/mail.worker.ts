import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config.js';
import { InvitationDelivery } from './invitation-delivery.service.js';
import {
  INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  INVITATION_EMAIL_QUEUE,
  MailQueue,
  deliveryLeaseMs,
  type MailJob,
} from './mail-queue.js';
import { QueueLoop } from './queue-loop.js';

/** Added to a released job's wait for its lease: clocks of different hosts disagree a little. */
const RELEASE_CLOCK_MARGIN_MS = 30_000;

/**
 * The delivery worker of this process (MAIL_WORKER_ENABLED): sends invitation emails, and turns
 * dead-lettered jobs into `failed` invitations. Starts once the app is up; on shutdown (SIGTERM
 * closes the app) it stops taking jobs, lets the ones in flight finish for up to
 * MAIL_SHUTDOWN_TIMEOUT and releases the rest (no attempt counted). Nest runs this module's
 * destroy hook before the global mailer's and database's, so the transport and the database are
 * still there meanwhile.
 */
@Injectable()
export class MailWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailWorker');
  private readonly loops: QueueLoop[] = [];

  constructor(
    private readonly config: AppConfig,
    private readonly queue: MailQueue,
    private readonly delivery: InvitationDelivery,
  ) {}

  onApplicationBootstrap(): void {
    const { workerEnabled, concurrency, pollIntervalMs } = this.config.mail;
    if (!workerEnabled) return;
    this.loops.push(
      new QueueLoop(this.queue, {
        queue: INVITATION_EMAIL_QUEUE,
        // Twice the SMTP slots: while `concurrency` jobs send, as many claim or record theirs.
        concurrency: 2 * concurrency,
        pollIntervalMs,
        // A job released while sending holds its invitation's lease; a retry waits for its end,
        // plus a margin: the lease is on the claiming process's clock, the delay on the database's.
        releaseDelayMs: deliveryLeaseMs(this.config) + RELEASE_CLOCK_MARGIN_MS,
        logger: this.logger,
        handle: async (job: MailJob) => {
          await this.delivery.deliver(job.data);
        },
      }),
      new QueueLoop(this.queue, {
        queue: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
        concurrency: 1,
        pollIntervalMs,
        logger: this.logger,
        handle: async (job: MailJob) => {
          await this.delivery.recordDeadLetter(job.data, lastError(job));
        },
      }),
    );
    for (const loop of this.loops) loop.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.loops.map((loop) => loop.stop(this.config.mail.shutdownTimeoutMs)));
  }
}

/** The failure pg-boss recorded for the last attempt (copied to the dead-letter job's output). */
function lastError(job: MailJob): string | undefined {
  const output = job.output as { message?: unknown; value?: { message?: unknown } } | null;
  const value = output?.message ?? output?.value?.message;
  return typeof value === 'string' ? value : undefined;
}
