import { createHash } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { JobInsert } from 'pg-boss';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../../config/app-config.js';
import { JobQueue, type QueueDefinition } from '../../queue/job-queue.js';

export const INVITATION_EMAIL_QUEUE = 'invitation-email';
/** Jobs whose every attempt failed land here; its worker marks the invitation `failed`. */
export const INVITATION_EMAIL_DEAD_LETTER_QUEUE = 'invitation-email-dead';

export const INVITATION_EMAIL_QUEUES: QueueDefinition[] = [
  // The dead-letter queue first: the main queue's row references it.
  { name: INVITATION_EMAIL_DEAD_LETTER_QUEUE },
  { name: INVITATION_EMAIL_QUEUE, deadLetter: INVITATION_EMAIL_DEAD_LETTER_QUEUE },
];

/** One email to send for one new or refreshed invitation. */
export interface InvitationEmailJob {
  invitationId: string;
  /** The invitation's `send_count` after this send was recorded; an older job is superseded. */
  generation: number;
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

/**
 * The retry and expiry settings every invitation email job is inserted with. They travel with
 * each job rather than with the queue, so a configuration change applies to the next job.
 */
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

/**
 * The transactional outbox for invitation emails: `enqueue` writes the jobs through the caller's
 * transaction, so they exist exactly when the invitation change does (a rolled-back request leaves
 * none); the request never waits for SMTP. All the jobs of one call are one statement.
 */
@Injectable()
export class InvitationOutbox implements OnModuleInit {
  constructor(
    private readonly queue: JobQueue,
    private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.queue.install(INVITATION_EMAIL_QUEUES);
  }

  async enqueue(tx: EntityManager, ...jobs: InvitationEmailJob[]): Promise<void> {
    const options = jobOptions(this.config);
    await this.queue.enqueue(
      tx,
      INVITATION_EMAIL_QUEUE,
      jobs.map((job) => ({
        ...options,
        id: jobIdFor(job),
        data: { invitationId: job.invitationId, generation: job.generation },
      })),
    );
  }
}
