import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { format, resolveConfig } from 'prettier';
import { APP_OPTIONS } from '../app.setup.js';
import { buildOpenApiDocument } from './openapi-document.js';

/**
 * Builds the document without serving HTTP and without a database: a preview application resolves
 * the module graph and the controllers' metadata but instantiates no provider, so TypeORM never
 * connects. Used by `npm run openapi` and `npm run openapi:check`; tooling only, never the server.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  // Imported only now, as main.ts does: AppModule validates the environment when it is loaded.
  const { AppModule } = await import('../app.module.js');
  const app = await NestFactory.create(AppModule, {
    ...APP_OPTIONS,
    preview: true,
    logger: false,
    abortOnError: false,
  });
  try {
    return buildOpenApiDocument(app);
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
