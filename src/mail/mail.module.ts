import { Module } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InvitationOutbox, type InvitationEmailJob } from './invitation-outbox.js';

/** Placeholder until the pg-boss outbox lands: records nothing. */
class PendingInvitationOutbox extends InvitationOutbox {
  async enqueue(_manager: EntityManager, _job: InvitationEmailJob): Promise<void> {}
}

@Module({
  providers: [{ provide: InvitationOutbox, useClass: PendingInvitationOutbox }],
  exports: [InvitationOutbox],
})
export class MailModule {}
