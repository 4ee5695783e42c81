import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../common/request-id.js';
import { PROBLEM_TYPES, ProblemException, statusTitle, type ProblemBody } from './problem.js';

const RETRY_AFTER_SECONDS = '5';

/**
 * TypeORM's answer to the next statement of a transaction whose connection died under it (it
 * released the query runner when the connection failed).
 */
const RELEASED_QUERY_RUNNER = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);

/** Errors that mean the database is unreachable right now, not that the request was wrong. */
function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed, not `instanceof Error`: a socket error (ECONNREFUSED) is made by Node's own `net`,
  // whose Error is another realm's under Jest's VM modules, so the check would miss it there.
  if (typeof error !== 'object' || error === null) return false;
  const { code, message, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof name === 'string' && RELEASED_QUERY_RUNNER.has(name)) return true;
  return (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      '57014', // query_canceled: DATABASE_STATEMENT_TIMEOUT ran out
      '57P01',
      '57P02',
      '57P03',
      '53300',
    ].includes(typeof code === 'string' ? code : '') ||
    (typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Connection ended unexpectedly|the database system is (starting up|shutting down)|is not queryable/i.test(
        message,
      ))
  );
}

/**
 * A detail never carries a query string: the accept link's is a secret token, and Nest's own 404
 * says `Cannot GET /invitations/x?token=…`. Paths stay; what follows their `?` goes.
 */
function withoutQueryStrings(detail: string): string {
  return detail.replace(/(\/[^\s?]*)\?\S*/g, '$1');
}

/**
 * The only place an error becomes a response: RFC 9457 problem+json with the request id.
 * Unknown errors are logged with that id and answered with a generic 500 — no stack, no SQL.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const requestId = requestIdOf(req);
    const { body, headers } = this.toProblem(exception, requestId);
    body.instance = req.originalUrl?.split('?')[0];
    if (body.detail) body.detail = withoutQueryStrings(body.detail);
    if (requestId) body.requestId = requestId;
    if (res.headersSent) return;
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  private toProblem(
    exception: unknown,
    requestId: string | undefined,
  ): { body: ProblemBody; headers: Record<string, string> } {
    if (exception instanceof ProblemException) {
      const status = exception.getStatus();
      const { detail, type, title, errors, headers, extensions } = exception.problem;
      return {
        body: {
          ...extensions,
          type: type ?? 'about:blank',
          title: title ?? statusTitle(status),
          status,
          detail,
          ...(errors ? { errors } : {}),
        },
        headers: headers ?? {},
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      const message: unknown =
        typeof response === 'string'
          ? response
          : ((response as { message?: unknown }).message ?? exception.message);
      const detail = Array.isArray(message)
        ? message.map(String).join('; ')
        : typeof message === 'string'
          ? message
          : exception.message;
      return {
        body: { type: 'about:blank', title: statusTitle(status), status, detail },
        headers: {},
      };
    }
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`database unavailable (request ${requestId}): ${String(exception)}`);
      return {
        body: {
          type: PROBLEM_TYPES.unavailable,
          title: statusTitle(503),
          status: 503,
          detail: 'The service is temporarily unavailable; retry shortly',
        },
        headers: { 'Retry-After': RETRY_AFTER_SECONDS },
      };
    }
    this.logger.error(
      `unhandled error (request ${requestId})`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return {
      body: {
        type: 'about:blank',
        title: statusTitle(500),
        status: 500,
        detail: 'An unexpected error occurred; quote the request id when reporting it',
      },
      headers: {},
    };
  }
}
