import { Injectable } from '@nestjs/common';
import type { Transaction } from '../database/sql-transaction.js';
import { InvitationOutbox, type InvitationEmailJob } from './invitation-outbox.js';
import { MailQueue } from './mail-queue.js';

/**
 * The outbox on pg-boss: the job row is written by the caller's transaction, so it exists exactly
 * when the invitation change does. A rolled-back request leaves no job; a committed one always
 * has its job, whatever happens to the process next.
 */
@Injectable()
export class PgBossInvitationOutbox extends InvitationOutbox {
  constructor(private readonly queue: MailQueue) {
    super();
  }

  async enqueue(tx: Transaction, ...jobs: InvitationEmailJob[]): Promise<void> {
    await this.queue.enqueue(tx, jobs);
  }
}
