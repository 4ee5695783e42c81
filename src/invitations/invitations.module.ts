import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { InvitationAcceptanceService } from './invitation-acceptance.service.js';
import { InvitationsController } from './invitations.controller.js';
import { UserInvitationsController } from './user-invitations.controller.js';
import { InvitationsQueryService } from './invitations-query.service.js';
import { InvitationsService } from './invitations.service.js';

@Module({
  imports: [AuditModule, MailModule],
  controllers: [UserInvitationsController, InvitationsController],
  providers: [InvitationsService, InvitationsQueryService, InvitationAcceptanceService],
})
export class InvitationsModule {}
