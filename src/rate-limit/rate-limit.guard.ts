import {
  Injectable,
  SetMetadata,
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { IS_PUBLIC_KEY } from '../auth/auth.decorators.js';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { clientAddress, type RateLimitName } from './rate-limit.policies.js';
import { RateLimitService } from './rate-limit.service.js';

const RATE_LIMIT_KEY = 'brms:rate-limit';

/**
 * Global: every route that needs a token spends the client address's `requests` budget — before
 * the token is even looked at, so floods of bad tokens are limited too. Public routes opt in to
 * their own per-address limits with `@RateLimit(name)`.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: RateLimitService,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets);
    const named = this.reflector.get<RateLimitName[] | undefined>(RATE_LIMIT_KEY, targets[0]);
    const names = (named ?? (isPublic ? [] : (['requests'] as const))).filter((name) =>
      this.limits.isEnabled(name),
    );
    // Nothing to count: answered without a promise (Nest then awaits nothing for this guard).
    if (names.length === 0) return true;
    return this.spend(names, clientAddress(context.switchToHttp().getRequest<Request>()));
  }

  private async spend(names: readonly RateLimitName[], address: string): Promise<boolean> {
    for (const name of names) await this.limits.consume(name, address);
    return true;
  }
}

/** Puts per-client-address limits on a (public) route, and documents the 429. */
export const RateLimit = (...names: RateLimitName[]) =>
  applyDecorators(SetMetadata(RATE_LIMIT_KEY, names), ApiProblemResponses(429));
