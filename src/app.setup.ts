import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Response } from 'express';
import helmet from 'helmet';
import { assignRequestId, type RequestWithId } from './common/request-id.js';
import { answerClientErrorsWithProblems } from './common/client-error.js';
import { AppConfig } from './config/app-config.js';
import { setupOpenApi } from './openapi/openapi-document.js';

/**
 * The Nest application options every entry point (server, tests) uses. Bodies are parsed by
 * JsonBodyMiddleware inside Nest, so parser errors reach the exception filter.
 */
export const APP_OPTIONS = { bodyParser: false } as const;

/**
 * HTTP-level setup shared by main.ts and the test kit, so tests exercise exactly what production
 * runs. Guards, pipes, filters and middleware are registered in modules (APP_GUARD, APP_PIPE,
 * APP_FILTER, NestModule.configure); AppModule states their order. What is mounted here runs
 * before all of them.
 */
export function configureApp(app: INestApplication): NestExpressApplication {
  const express = app as NestExpressApplication;
  const { trustProxy, corsOrigins } = express.get(AppConfig).httpSecurity;
  express.disable('x-powered-by');
  express.set('trust proxy', trustProxy);
  // Before Swagger UI's routes, which Nest's middleware never sees.
  express.use((req: RequestWithId, res: Response, next: NextFunction) => {
    assignRequestId(req, res);
    next();
  });
  express.use(helmet());
  // CORS stays off (no Access-Control-* headers at all) unless origins are configured.
  if (corsOrigins.length > 0) express.enableCors({ origin: corsOrigins });
  setupOpenApi(express);
  answerClientErrorsWithProblems(express.getHttpServer());
  return express;
}
