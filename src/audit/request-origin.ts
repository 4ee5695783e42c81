import type { ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { ClsModule, type ClsService } from 'nestjs-cls';
import { requestIdOf } from '../common/request-id.js';
import type { AuditOrigin } from './audit-log.repository.js';

/** The longest User-Agent kept; real browsers send a few hundred characters at most. */
export const MAX_USER_AGENT_LENGTH = 512;

const ORIGIN = 'auditOrigin';

/**
 * Where a request comes from, as audit rows record it. `req.ip` honours TRUST_PROXY
 * (app.setup.ts sets Express' `trust proxy`): X-Forwarded-For is believed only from trusted
 * proxies, never read here.
 */
export function originOf(req: Request): AuditOrigin {
  const userAgent = req.get('user-agent');
  return {
    ipAddress: req.ip ?? null,
    userAgent: userAgent ? userAgent.slice(0, MAX_USER_AGENT_LENGTH) : null,
    requestId: requestIdOf(req) ?? null,
  };
}

/** The current request's origin; all null outside a request (the mail worker, the CLI). */
export function currentOrigin(cls: ClsService): AuditOrigin {
  const origin = cls.isActive() ? cls.get<AuditOrigin | undefined>(ORIGIN) : undefined;
  return origin ?? { ipAddress: null, userAgent: null, requestId: null };
}

/**
 * nestjs-cls' interceptor, registered once for the whole app: each handler runs in a context that
 * holds its request's origin, so services record it without threading it through every call. An
 * interceptor rather than a middleware: it wraps the handler itself, so no body parser or
 * middleware order can lose the context.
 */
export const RequestOriginModule = ClsModule.forRoot({
  global: true,
  interceptor: {
    mount: true,
    setup: (cls: ClsService, context: ExecutionContext) => {
      if (context.getType() !== 'http') return;
      cls.set(ORIGIN, originOf(context.switchToHttp().getRequest<Request>()));
    },
  },
});
