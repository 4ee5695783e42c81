import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { UsersInvitationsController } from './invitations.controller.js';
import { InvitationsService } from './invitations.service.js';

@Module({
  imports: [AuditModule, MailModule],
  controllers: [UsersInvitationsController],
  providers: [InvitationsService],
})
export class InvitationsModule {}
