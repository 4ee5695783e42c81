import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { HealthIndicatorService } from '@nestjs/terminus';
import { INVITATION_EMAIL_QUEUE, MailQueue } from '../mail/mail-queue.js';

/**
 * The job queue is ready when pg-boss answers through its own connection pool and the invitation
 * email queue exists. Without it, invitations would be accepted but their emails never sent.
 */
@Injectable()
export class JobQueueHealthIndicator {
  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly health: HealthIndicatorService,
  ) {}

  pingCheck<const Key extends string>(key: Key) {
    return this.health.check(key).attempt(async () => {
      // MailModule keeps its queue to itself; look it up the way terminus finds the DataSource.
      const queue = await this.moduleRef
        .get(MailQueue, { strict: false })
        .boss.getQueue(INVITATION_EMAIL_QUEUE);
      if (!queue) throw new Error(`queue ${INVITATION_EMAIL_QUEUE} does not exist`);
    });
  }
}
