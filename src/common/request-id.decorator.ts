import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import { requestIdOf } from './request-id.js';

/** The request id assigned on arrival (assignRequestId), for audit rows and logs. */
export const RequestId = createParamDecorator((_: unknown, ctx: ExecutionContext) =>
  requestIdOf(ctx.switchToHttp().getRequest<Request>()),
);
