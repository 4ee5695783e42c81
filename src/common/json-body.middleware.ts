import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import express from 'express';
import { ProblemException } from '../errors/problem.js';

/** Request bodies above this are refused with 413; gzip bodies count after inflation. */
export const BODY_LIMIT = '16kb';

const parseJson = express.json({
  limit: BODY_LIMIT,
  type: ['application/json', 'application/*+json'],
});

type BodyParserError = Error & { type?: string; status?: number };

function toProblem(error: BodyParserError): Error {
  switch (error.type) {
    case 'entity.too.large':
      return new ProblemException(413, { detail: `Request body exceeds ${BODY_LIMIT}` });
    case 'entity.parse.failed':
      return new ProblemException(400, { detail: 'Request body is not valid JSON' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new ProblemException(415, { detail: error.message });
    case 'request.size.invalid':
    case 'request.aborted':
    case 'stream.encoding.set':
      return new ProblemException(400, { detail: 'Request body could not be read' });
    case undefined:
    default:
      return error.status && error.status < 500
        ? new ProblemException(error.status, { detail: 'Request body could not be read' })
        : error;
  }
}

function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * body-parser inside Nest's middleware chain rather than as a bare Express middleware, so its
 * errors (413, malformed JSON) reach the exception filter and become problem+json like any other.
 * A body in anything but JSON is 415.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    if (hasBody(req) && !req.is(['application/json', 'application/*+json'])) {
      next(
        new ProblemException(415, {
          detail: 'Request body must be application/json',
          headers: { 'Accept-Post': 'application/json' },
        }),
      );
      return;
    }
    parseJson(req, res, (error?: unknown) => {
      next(error ? toProblem(error as BodyParserError) : undefined);
    });
  }
}
