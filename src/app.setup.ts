import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/**
 * The Nest application options every entry point (server, tests) uses. Bodies are parsed by
 * JsonBodyMiddleware inside Nest, so parser errors reach the exception filter.
 */
export const APP_OPTIONS = { bodyParser: false } as const;

/**
 * HTTP-level setup shared by main.ts and the test kit, so tests exercise exactly what production
 * runs. Guards, pipes, filters and middleware are registered in modules (APP_GUARD, APP_PIPE,
 * APP_FILTER, NestModule.configure).
 */
export function configureApp(app: INestApplication): NestExpressApplication {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  return express;
}
