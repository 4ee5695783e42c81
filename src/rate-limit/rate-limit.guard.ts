import { Injectable, SetMetadata, applyDecorators, type ExecutionContext } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerRequest,
} from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import { ProblemException } from '../errors/problem.js';
import { RATE_LIMIT_POLICIES, clientAddress, type RateLimitName } from './rate-limit.policies.js';

export const RATE_LIMIT_KEY = 'brms:rate-limit';

/** Carries the wait from throwThrottlingException to handleRequest, which knows the throttler. */
class Throttled extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('throttled');
  }
}

/**
 * @nestjs/throttler's guard with this service's answers: a 429 problem+json whose detail names the
 * limit, with Retry-After, and no X-RateLimit headers. Limits are per client address as Express
 * sees it (TRUST_PROXY), one budget per throttler across all routes it applies to.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  protected override getTracker(req: Request): Promise<string> {
    return Promise.resolve(clientAddress(req));
  }

  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    _throttlerName: string,
  ): string {
    return tracker;
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      if (!(error instanceof Throttled)) throw error;
      const name = request.throttler.name as RateLimitName;
      const retryAfter = String(error.retryAfterSeconds);
      throw new ProblemException(429, {
        detail: `${RATE_LIMIT_POLICIES[name].describe}; retry in ${retryAfter} s`,
        headers: { 'Retry-After': retryAfter },
      });
    }
  }

  protected override throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    return Promise.reject(new Throttled(detail.timeToBlockExpire));
  }
}

/** Puts a per-client-address throttler on a (public) route, and documents the 429. */
export const RateLimit = (...names: RateLimitName[]) =>
  applyDecorators(SetMetadata(RATE_LIMIT_KEY, names), ApiProblemResponses(429));
