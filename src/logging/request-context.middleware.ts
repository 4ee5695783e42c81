import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Response } from 'express';
import { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { assignRequestId, type RequestWithId } from '../common/request-id.js';
import { AppConfig } from '../config/app-config.js';
import { requestLevels, requestLine, type RequestLevels } from './logger-options.js';

/**
 * The start of every request: its id (X-Request-Id, `assignRequestId`), a logging context in which
 * every line logged while handling it, through Nest's `Logger` or an injected `PinoLogger`, carries
 * that `reqId` (nestjs-pino's `runInContext`, so `PinoLogger.assign` works in handlers too), and one
 * line when it ends (`POST /api/users 200 12ms`, with its id, method, URL, status and duration).
 *
 * One middleware rather than an id middleware and a log middleware: each Nest middleware costs
 * about four promises per request, and on Node.js 20 every promise runs the logging context's
 * hooks (README, Performance).
 *
 * The line is written here rather than left to pino-http, which nestjs-pino mounts by default:
 * pino-http makes two child loggers per request (one with the request id, one with the request
 * itself, put through the serializers and redaction and stringified) whether a line is written or
 * not, and keeps four arrays and three listeners per request. That was about a tenth of the
 * service's instructions per request. Here: one child logger, one listener, and the line's object
 * only when its level is written. Runs before the body parser (CommonModule lists the order), so a
 * refused body is logged too.
 */
@Injectable()
export class RequestContextMiddleware implements NestMiddleware {
  private readonly levels: RequestLevels;

  constructor(
    config: AppConfig,
    private readonly pino: PinoLogger,
  ) {
    this.levels = requestLevels(config.logLevel);
  }

  use(req: RequestWithId, res: Response, next: NextFunction): void {
    const startedAt = Date.now();
    const reqId = assignRequestId(req, res);
    this.pino.runInContext(
      () => {
        if (!this.levels.none) {
          const logger = this.pino.logger;
          // 'close' comes after 'finish', and also when the client goes away first.
          res.once('close', () => this.write(logger, req, res, startedAt));
        }
        next();
      },
      { bindings: { reqId } },
    );
  }

  private write(logger: Logger, req: RequestWithId, res: Response, startedAt: number): void {
    const level = this.levels.of(req, res);
    if (level === 'silent') return;
    const responseTime = Date.now() - startedAt;
    const line: Record<string, unknown> = { req, res, responseTime };
    // The client went away before the response was complete: the status is what it would have had.
    if (!res.writableFinished) line.aborted = true;
    logger[level](line, requestLine(req, res, responseTime));
  }
}
