import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { PersonalAccessTokensController } from './personal-access-tokens.controller.js';
import { PersonalAccessTokensRepository } from './personal-access-tokens.repository.js';
import { PersonalAccessTokensService } from './personal-access-tokens.service.js';
import { ServiceAccountTokensController } from './service-account-tokens.controller.js';

/**
 * Personal access tokens: the operations, the repository the auth guard verifies with, and the
 * service the CLI mints with.
 */
@Module({
  imports: [AuditModule],
  controllers: [PersonalAccessTokensController, ServiceAccountTokensController],
  providers: [PersonalAccessTokensRepository, PersonalAccessTokensService],
  exports: [PersonalAccessTokensRepository, PersonalAccessTokensService],
})
export class PersonalAccessTokensModule {}
