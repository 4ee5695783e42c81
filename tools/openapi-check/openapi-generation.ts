import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { format, resolveConfig } from 'prettier';
import type { AppModule } from '../../src/app.module.js';
import type { APP_OPTIONS } from '../../src/app.setup.js';
import type { buildOpenApiDocument } from '../../src/openapi/openapi-document.js';

/** What the generation needs of the service. */
export interface Service {
  AppModule: typeof AppModule;
  APP_OPTIONS: typeof APP_OPTIONS;
  buildOpenApiDocument: typeof buildOpenApiDocument;
}

/**
 * The service as `npm run build` compiled it. These tools run as TypeScript through Node's type
 * stripping, which emits no decorator metadata, so Nest's modules come from dist/, loaded when
 * called so that a missing build is reported as such.
 */
export async function builtService(): Promise<Service> {
  const dist = new URL('../../dist/src/', import.meta.url);
  const load = (file: string) => import(new URL(file, dist).href) as Promise<Partial<Service>>;
  const [app, setup, document] = await Promise.all([
    load('app.module.js'),
    load('app.setup.js'),
    load('openapi/openapi-document.js'),
  ]);
  if (!app.AppModule || !setup.APP_OPTIONS || !document.buildOpenApiDocument) {
    throw new Error('dist/ lacks the service: run `npm run build` first');
  }
  return {
    AppModule: app.AppModule,
    APP_OPTIONS: setup.APP_OPTIONS,
    buildOpenApiDocument: document.buildOpenApiDocument,
  };
}

/**
 * Builds the document without serving HTTP and without a database: a preview application resolves
 * the module graph and the controllers' metadata but instantiates no provider, so TypeORM never
 * connects.
 */
export async function generateOpenApiDocument(
  load: () => Promise<Service>,
): Promise<OpenAPIObject> {
  const service = await load();
  const app = await NestFactory.create(service.AppModule, {
    ...service.APP_OPTIONS,
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return service.buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}

/**
 * The committed form: keys sorted (buildOpenApiDocument does that), then formatted by the
 * project's Prettier so that `prettier --check .` and the drift check agree on every byte.
 * `filePath` only selects the Prettier configuration and parser.
 */
export async function serializeOpenApiDocument(
  document: OpenAPIObject,
  filePath: string,
): Promise<string> {
  const options = (await resolveConfig(filePath)) ?? {};
  return format(JSON.stringify(document), { ...options, filepath: filePath });
}
