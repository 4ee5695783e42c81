import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import express from 'express';
import { AuditModule } from '../audit/audit.module.js';
import { MailModule } from '../mail/mail.module.js';
import { QueueModule } from '../queue/queue.module.js';
import { ACCEPT_PAGE_PATH, AcceptPageController } from './accept-page/accept-page.controller.js';
import { InvitationDelivery } from './delivery/invitation-delivery.service.js';
import { InvitationEmailRenderer } from './delivery/invitation-email.renderer.js';
import { InvitationEmailWorker } from './delivery/invitation-email.worker.js';
import { InvitationOutbox } from './delivery/invitation-outbox.js';
import { InvitationAcceptanceService } from './invitation-acceptance.service.js';
import { InvitationListRepository } from './invitation-list.repository.js';
import { InvitationsRepository } from './invitations.repository.js';
import { InvitationsController } from './invitations.controller.js';
import { UserInvitationsController } from './user-invitations.controller.js';
import { InvitationsQueryService } from './invitations-query.service.js';
import { InvitationsService } from './invitations.service.js';

/** The accept page's form holds one token: anything much larger is not that form. */
const parseAcceptForm = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 4 });

@Module({
  imports: [AuditModule, MailModule, QueueModule],
  controllers: [UserInvitationsController, InvitationsController, AcceptPageController],
  providers: [
    InvitationsRepository,
    InvitationListRepository,
    InvitationsService,
    InvitationsQueryService,
    InvitationAcceptanceService,
    InvitationOutbox,
    InvitationEmailRenderer,
    InvitationDelivery,
    InvitationEmailWorker,
  ],
})
export class InvitationsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // The JSON body parser (AppModule) leaves this one route alone.
    consumer
      .apply(parseAcceptForm)
      .forRoutes({ path: ACCEPT_PAGE_PATH, method: RequestMethod.POST });
  }
}
