import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../../src/app.module.js';
import { APP_OPTIONS, configureApp } from '../../src/app.setup.js';
import { Clock } from '../../src/common/clock.js';
import { AppConfig } from '../../src/config/app-config.js';
import type { RawEnv } from '../../src/config/config.schema.js';
import { TEMPLATE_DB, adminQuery } from '../setup/test-database.js';
import { configWith } from './config.js';
import { Mailbox, mailTestConfig, type MailboxOptions } from './mailbox.js';

export interface TestApp {
  app: INestApplication;
  /** Pass to supertest: `request(t.server)`. Listening on a loopback port. */
  server: ReturnType<INestApplication['getHttpServer']>;
  /** Base URL of the listening app, e.g. for a browser or a second client. */
  url: string;
  dataSource: DataSource;
  /** The SMTP peer the app sends to, when created with `mailbox`. */
  mailbox: Mailbox | undefined;
  /** Closes the app (and its mailbox) and drops this file's database. */
  close(): Promise<void>;
}

export interface TestAppOptions {
  /**
   * Start a real SMTP peer and run the mail worker against it (quick polling and retries):
   * `await t.mailbox!.waitFor('someone@example.com')`.
   */
  mailbox?: boolean | MailboxOptions;
  /** Environment variables to change for this app, e.g. `{ INVITATION_TTL: '1h' }`. */
  env?: RawEnv;
  /** A clock the test moves (test/kit/clock.ts); the app then reads time only from it. */
  clock?: Clock;
  /** Replace any other provider a test must control. Applied last. */
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
  const mailbox = options.mailbox
    ? await Mailbox.start(options.mailbox === true ? {} : options.mailbox)
    : undefined;
  let builder = Test.createTestingModule({ imports: [AppModule] });
  if (mailbox) {
    builder = builder.overrideProvider(AppConfig).useValue(mailTestConfig(mailbox, options.env));
  } else if (options.env) {
    builder = builder.overrideProvider(AppConfig).useValue(configWith(options.env));
  }
  if (options.clock) builder = builder.overrideProvider(Clock).useValue(options.clock);
  if (options.override) builder = options.override(builder);
  const moduleRef = await builder.compile();
  // The app's own logger, as in production: LOG_LEVEL (silent in tests unless set) applies.
  const app = configureApp(moduleRef.createNestApplication({ ...APP_OPTIONS, bufferLogs: true }));
  app.useLogger(app.get(Logger));
  await app.listen(0, '127.0.0.1');
  return {
    app,
    server: app.getHttpServer(),
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    dataSource: app.get<DataSource>(getDataSourceToken()),
    mailbox,
    close: async () => {
      await app.close();
      await mailbox?.close();
      await adminQuery(
        process.env.TEST_ADMIN_DATABASE_URL!,
        `DROP DATABASE IF EXISTS ${process.env.TEST_DATABASE_NAME} WITH (FORCE)`,
      );
      databaseCreated = false;
    },
  };
}
