import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { AppModule } from '../../src/app.module.js';
import { APP_OPTIONS, configureApp } from '../../src/app.setup.js';
import { TEMPLATE_DB, adminQuery } from '../setup/test-database.js';

export interface TestApp {
  app: INestApplication;
  /** Pass to supertest: `request(t.server)`. Listening on a loopback port. */
  server: ReturnType<INestApplication['getHttpServer']>;
  /** Base URL of the listening app, e.g. for a browser or a second client. */
  url: string;
  dataSource: DataSource;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Replace providers a test must control (a clock, a config value). */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

let databaseCreated = false;

/** This test file's own database, copied from the migrated template on first use. */
async function ensureDatabase(): Promise<void> {
  if (databaseCreated) return;
  const admin = process.env.TEST_ADMIN_DATABASE_URL!;
  await adminQuery(
    admin,
    `CREATE DATABASE ${process.env.TEST_DATABASE_NAME} TEMPLATE ${TEMPLATE_DB}`,
  );
  databaseCreated = true;
}

/**
 * The whole application, built from AppModule exactly as production builds it, on this test file's
 * fresh database.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  await ensureDatabase();
  let builder = Test.createTestingModule({ imports: [AppModule] });
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  const app = configureApp(moduleRef.createNestApplication(APP_OPTIONS));
  await app.listen(0, '127.0.0.1');
  return {
    app,
    server: app.getHttpServer(),
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    close: async () => {
      await app.close();
      await adminQuery(
        process.env.TEST_ADMIN_DATABASE_URL!,
        `DROP DATABASE IF EXISTS ${process.env.TEST_DATABASE_NAME} WITH (FORCE)`,
      );
      databaseCreated = false;
    },
  };
}
