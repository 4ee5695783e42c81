import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuthModule } from './auth/auth.module.js';
import { InternalAuthGuard } from './auth/internal-auth.guard.js';
import { CommonModule } from './common/common.module.js';
import { JsonBodyMiddleware } from './common/json-body.middleware.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { ErrorsModule } from './errors/errors.module.js';
import { HealthModule } from './health/health.module.js';
import { ACCEPT_PAGE_PATH } from './invitations/accept-page/accept-page.controller.js';
import { InvitationsModule } from './invitations/invitations.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { OrganisationsModule } from './organisations/organisations.module.js';
import { PersonalAccessTokensModule } from './personal-access-tokens/personal-access-tokens.module.js';
import { RateLimitGuard } from './rate-limit/rate-limit.guard.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { UsersModule } from './users/users.module.js';

@Module({
  imports: [
    AppConfigModule,
    LoggingModule,
    CommonModule,
    ErrorsModule,
    DatabaseModule,
    OrganisationsModule,
    RateLimitModule,
    AuthModule,
    HealthModule,
    InvitationsModule,
    PersonalAccessTokensModule,
    UsersModule,
  ],
  // Global guards run in the order of this list, whatever the order of the imports: the
  // per-address limit before the token is even looked at, so floods of bad tokens are limited too.
  providers: [
    { provide: APP_GUARD, useClass: RateLimitGuard },
    { provide: APP_GUARD, useClass: InternalAuthGuard },
  ],
})
export class AppModule implements NestModule {
  /**
   * Every request meets, in this order:
   * 1. app.setup.ts's Express middleware: the request id, helmet (Swagger UI's routes too);
   * 2. nestjs-pino's request logger: its LoggerModule is global, and Nest mounts the middleware
   *    of global modules before any other module's;
   * 3. the JSON body parser, here, after the logger so a body it refuses (413, 415) is logged
   *    with its request id. The accept page's form is parsed by InvitationsModule instead.
   * Then the guards (above), the validation pipe and the handler. test/request-order.e2e-spec.ts pins this.
   */
  configure(consumer: MiddlewareConsumer): void {
    consumer
      .apply(JsonBodyMiddleware)
      .exclude({ path: ACCEPT_PAGE_PATH, method: RequestMethod.POST })
      .forRoutes('{*path}');
  }
}
