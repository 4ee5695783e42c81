import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { InternalAuthGuard } from './auth/internal-auth.guard.js';
import { CommonModule } from './common/common.module.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ErrorsModule } from './errors/errors.module.js';
import { HealthModule } from './health/health.module.js';
import { InvitationsModule } from './invitations/invitations.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { OrganisationsModule } from './organisations/organisations.module.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';

@Module({
  imports: [
    AppConfigModule,
    // Before CommonModule: its request logger must be mounted ahead of the body parser, so a
    // request the parser refuses (413, 415) is still logged.
    LoggingModule,
    CommonModule,
    ErrorsModule,
    DatabaseModule,
    OrganisationsModule,
    RateLimitModule,
    AuthModule,
    HealthModule,
    InvitationsModule,
  ],
  // Global guards run in this order: the per-address limit before the token is even looked at,
  // so floods of bad tokens are limited too.
  providers: [
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: InternalAuthGuard },
  ],
})
export class AppModule {}
