import { Global, Module, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule, seconds, type ThrottlerOptions } from '@nestjs/throttler';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { PostgresThrottlerStorage } from './postgres-throttler.storage.js';
import { RATE_LIMIT_KEY } from './rate-limit.guard.js';
import { RATE_LIMIT_POLICIES, type RateLimitName } from './rate-limit.policies.js';
import { RateLimitService } from './rate-limit.service.js';

/** The limits the guard applies per request; `invitations` is spent by InvitationsService. */
const PER_REQUEST: readonly RateLimitName[] = ['requests', 'accept'];

/**
 * `requests` applies to every route that needs a token (`@Public()` skips it); the others only
 * where a route names them with `@RateLimit(name)`. A limit of 0 leaves its throttler out.
 */
function throttlers(config: AppConfig, reflector: Reflector): ThrottlerOptions[] {
  const notNamed = (name: RateLimitName) => (context: ExecutionContext) =>
    !reflector
      .get<RateLimitName[] | undefined>(RATE_LIMIT_KEY, context.getHandler())
      ?.includes(name);
  return PER_REQUEST.map((name): ThrottlerOptions => ({
    name,
    limit: RATE_LIMIT_POLICIES[name].points(config),
    ttl: seconds(RATE_LIMIT_POLICIES[name].windowSeconds),
    skipIf: name === 'requests' ? undefined : notNamed(name),
  })).filter((throttler) => Number(throttler.limit) > 0);
}

/**
 * The per-client request limits (@nestjs/throttler, counted in PostgreSQL) and the budgets a
 * feature spends itself (RateLimitService). RateLimitGuard is registered as a global guard in
 * AppModule, ahead of the token check.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, getDataSourceToken(), Reflector],
      useFactory: (config: AppConfig, dataSource: DataSource, reflector: Reflector) => ({
        storage: new PostgresThrottlerStorage(dataSource),
        setHeaders: false,
        throttlers: throttlers(config, reflector),
      }),
    }),
  ],
  providers: [RateLimitService],
  exports: [RateLimitService, ThrottlerModule],
})
export class RateLimitModule {}
