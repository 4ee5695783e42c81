import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'X-Request-Id';
// A caller's id is reused only when it is short and harmless in logs and headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export type RequestWithId = Request & { id?: string };

export function requestIdOf(req: Request): string | undefined {
  return (req as RequestWithId).id;
}

/**
 * Gives the request its id (the caller's X-Request-Id when acceptable, else a new UUID) and puts it
 * on the response. Called first (app.setup.ts), so every response carries one, Swagger UI's included.
 */
export function assignRequestId(req: RequestWithId, res: Response): string {
  const given = req.header(REQUEST_ID_HEADER);
  req.id ??= given && ACCEPTABLE_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, req.id);
  return req.id;
}
