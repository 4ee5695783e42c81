// @ts-check
// Plain JavaScript over the compiled build (`npm test` builds first): Jest loads global setup with
// Node's own module loader, outside ts-jest and its module mapping.
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../dist/src/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { INVITATION_EMAIL_QUEUES } from '../../dist/src/invitations/delivery/invitation-outbox.js';
import { QUEUE_SCHEMA } from '../../dist/src/queue/job-queue.js';

/** The template every test database is copied from (see test/kit/test-app.ts). */
export const TEMPLATE_DB = 'brms_test_template';

/** @param {string} url @param {string} sql */
async function adminQuery(url, sql) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * One PostgreSQL per test run: the given DATABASE_URL's server, else a throwaway embedded cluster
 * (never the developer's .data/). The schema is migrated once into a template database; each test
 * file copies it, so files are isolated from each other.
 */
export default async function globalSetup() {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = mkdtempSync(join(tmpdir(), 'brms-test-pg-'));
    chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user, which must traverse it
    const server = await startEmbeddedPostgres(join(dir, 'data'), { persistent: false });
    Object.assign(globalThis, { __brmsEmbedded: server, __brmsEmbeddedDir: dir });
    adminUrl = server.url;
  }
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;

  await adminQuery(adminUrl, `DROP DATABASE IF EXISTS ${TEMPLATE_DB} WITH (FORCE)`);
  await adminQuery(adminUrl, `CREATE DATABASE ${TEMPLATE_DB}`);
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE_DB}`;
  const dataSource = new DataSource(dataSourceOptions(url.toString(), 1));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();

  // The job queue's schema (pg-boss installs and migrates its own) goes into the template too, so
  // each test app finds it ready instead of installing it per database.
  const boss = new PgBoss({
    connectionString: url.toString(),
    schema: QUEUE_SCHEMA,
    max: 1,
    migrate: true,
    supervise: false,
    schedule: false,
  });
  boss.on('error', (error) => console.error(error));
  await boss.start();
  for (const { name, ...options } of INVITATION_EMAIL_QUEUES) await boss.createQueue(name, options);
  await boss.stop({ graceful: false, close: true });
}
