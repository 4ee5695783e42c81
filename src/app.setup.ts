import type { INestApplication, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** Request bodies above this are refused with 413 before any parsing work. */
export const BODY_LIMIT = '16kb';

/** The Nest application options every entry point (server, tests) uses. */
export const APP_OPTIONS = { bodyParser: false } as const;

/**
 * HTTP-level setup shared by main.ts and the test kit, so tests exercise exactly what production
 * runs. Guards, pipes and filters are registered in modules (APP_GUARD, APP_PIPE, APP_FILTER).
 */
export function configureApp(app: INestApplication): NestExpressApplication {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  express.useBodyParser('json', { limit: BODY_LIMIT });
  return express;
}

export type AppModuleType = Type<unknown>;
