import {
  SetMetadata,
  applyDecorators,
  createParamDecorator,
  type ExecutionContext,
} from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiProblemResponses } from '../errors/problem-details.dto.js';
import type { Permission, Principal } from './principal.js';

export const IS_PUBLIC_KEY = 'brms:public';
export const PERMISSION_KEY = 'brms:permission';
export const PERSONAL_ACCESS_TOKEN_KEY = 'brms:personal-access-token';
export const INTERNAL_AUTH_SCHEME = 'internalAuth';
export const PERSONAL_ACCESS_TOKEN_SCHEME = 'personalAccessToken';

/**
 * Opts a route out of the global InternalAuthGuard, and so out of the per-address `requests` limit
 * that every authenticated route spends. Everything else requires a token.
 */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), SkipThrottle({ requests: true }));

export interface InternalAuthOptions {
  /**
   * Also accept `Authorization: Bearer <personal access token>`, acting as the token's owner.
   * Only operations whose GoRules security lists `personalAccessToken` say so.
   */
  personalAccessToken?: boolean;
}

/**
 * Requires an internal token (or, with `personalAccessToken`, also a personal access token) whose
 * member holds `permission`, and declares the security requirements and the 401/403 answers in
 * the OpenAPI operation: the document cannot disagree with the guard.
 */
export const InternalAuth = (permission: Permission, options: InternalAuthOptions = {}) =>
  applyDecorators(
    SetMetadata(PERMISSION_KEY, permission),
    SetMetadata(PERSONAL_ACCESS_TOKEN_KEY, options.personalAccessToken === true),
    // Two requirement objects: either scheme alone is enough.
    ApiSecurity(INTERNAL_AUTH_SCHEME),
    ...(options.personalAccessToken ? [ApiSecurity(PERSONAL_ACCESS_TOKEN_SCHEME)] : []),
    // 429: the per-address `requests` limit (RateLimitGuard) applies to every authenticated route.
    ApiProblemResponses(options.personalAccessToken ? 'unauthorizedOrBearer' : 401, 403, 429),
  );

export type RequestWithPrincipal = Request & { principal?: Principal };

/** The caller the guard authenticated. Only on routes the guard protects. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext) => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a route without InternalAuthGuard');
  return principal;
});
