import { Injectable, type NestMiddleware } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// A caller's id is reused only when it is short and harmless in logs and headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type RequestWithId = Request & { id?: string };

export function requestIdOf(req: Request): string | undefined {
  return (req as RequestWithId).id;
}

/** Every response carries a request id (the caller's, when acceptable, else a new UUID). */
@Injectable()
export class RequestIdMiddleware implements NestMiddleware {
  use(req: RequestWithId, res: Response, next: NextFunction): void {
    const given = req.header(REQUEST_ID_HEADER);
    req.id ??= given && ACCEPTABLE_ID.test(given) ? given : randomUUID();
    res.setHeader(REQUEST_ID_HEADER, req.id);
    next();
  }
}
