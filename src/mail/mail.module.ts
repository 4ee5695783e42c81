import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { InvitationDelivery } from './invitation-delivery.service.js';
import { InvitationEmailRenderer } from './invitation-email.renderer.js';
import { InvitationOutbox } from './invitation-outbox.js';
import { MailQueue } from './mail-queue.js';
import { AppMailerModule } from './mailer.js';
import { MailWorker } from './mail.worker.js';
import { PgBossInvitationOutbox } from './pg-boss-invitation-outbox.js';

/**
 * Invitation email delivery: the transactional outbox (pg-boss jobs written by the caller's
 * transaction), the worker that sends them, the transport (SMTP or .eml files) and the
 * Handlebars templates.
 */
@Module({
  imports: [AuditModule, AppMailerModule],
  providers: [
    MailQueue,
    InvitationEmailRenderer,
    InvitationDelivery,
    MailWorker,
    { provide: InvitationOutbox, useClass: PgBossInvitationOutbox },
  ],
  exports: [InvitationOutbox],
})
export class MailModule {}
