import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import express from 'express';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { ACCEPT_PAGE_PATH, AcceptPageController } from './accept-page/accept-page.controller.js';
import { InvitationAcceptanceService } from './invitation-acceptance.service.js';
import { InvitationsController } from './invitations.controller.js';
import { UserInvitationsController } from './user-invitations.controller.js';
import { InvitationsQueryService } from './invitations-query.service.js';
import { InvitationsService } from './invitations.service.js';

/** The accept page's form holds one token: anything much larger is not that form. */
const parseAcceptForm = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 4 });

@Module({
  imports: [AuditModule, MailModule],
  controllers: [UserInvitationsController, InvitationsController, AcceptPageController],
  providers: [InvitationsService, InvitationsQueryService, InvitationAcceptanceService],
})
export class InvitationsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The JSON body parser (AppModule) leaves this one route alone.
    consumer
      .apply(parseAcceptForm)
      .forRoutes({ path: ACCEPT_PAGE_PATH, method: RequestMethod.POST });
  }
}
