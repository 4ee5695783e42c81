import { get, type IncomingMessage } from 'node:http';
import { parse } from 'csv-parse/sync';
import { Writable } from 'node:stream';
import {
  AuditLogQueryService,
  MAX_CONCURRENT_EXPORTS,
} from '../src/audit/audit-log-query.service.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { createTestApp, type TestApp } from './kit/test-app.js';
import { until } from './kit/until.js';

const ROWS = 3000;

/** GET the export and read it slowly: a pause after the first chunk, then the rest. */
function slowExport(
  t: TestApp,
  authorization: string,
  pauseMs: number,
  started: () => void = () => undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    get(
      `${t.url}/api/audit-logs/export`,
      { headers: { authorization } },
      (res: IncomingMessage) => {
        started();
        const chunks: Buffer[] = [];
        let paused = false;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          if (!paused) {
            paused = true;
            res.pause();
            setTimeout(() => res.resume(), pauseMs);
          }
        });
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    ).on('error', reject);
  });
}

/** The export is one statement read as the client takes it: neither a slow client nor size cuts it short. */
describe('exportAuditLogs with a slow client', () => {
  let t: TestApp;
  let owner: Member;

  beforeAll(async () => {
    t = await createTestApp({ env: { DATABASE_STATEMENT_TIMEOUT: '300ms' } });
    owner = await seedMember(t.dataSource, { email: 'owner@export-slow.test' });
    // Big enough rows that the export outgrows the socket buffers and waits for the client.
    await t.dataSource.transaction(async (tx) => {
      await tx.query('SET LOCAL statement_timeout = 0');
      await tx.query(
        `INSERT INTO audit_log (organisation_id, actor_id, type, action, data, created_at)
       SELECT $1, $2, 'user', 'invitation.created', jsonb_build_object('pad', repeat('x', 2000)),
              now() - g * interval '1 second'
         FROM generate_series(1, $3::int) AS g`,
        [owner.organisationId, owner.userId, ROWS],
      );
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('delivers every entry though the client pauses longer than the statement timeout', async () => {
    const csv = await slowExport(t, await authHeader(owner), 1500);
    const records = parse<{ id: string }>(csv, { columns: true });
    expect(records).toHaveLength(ROWS);
    expect(new Set(records.map((r) => r.id)).size).toBe(ROWS);
  });

  it(`runs at most ${MAX_CONCURRENT_EXPORTS} at once: the next is a 429 with Retry-After, until one ends`, async () => {
    // Exports whose reader takes nothing until told: TCP buffers cannot finish them early.
    const releases: (() => void)[] = [];
    const stalled = () => {
      let held: (() => void) | undefined;
      let released = false;
      releases.push(() => {
        released = true;
        held?.();
      });
      return new Writable({
        highWaterMark: 1,
        write(_chunk, _encoding, done) {
          if (released) done();
          else held = () => done();
        },
      });
    };
    const exports = t.app.get(AuditLogQueryService);
    // The previous test's export frees its slot just after its client has read the end.
    await until(() => exports.runningExports === 0, 10_000, 'no export running');
    const begun: Promise<void>[] = [];
    const running = Array.from({ length: MAX_CONCURRENT_EXPORTS }, () => {
      let started!: () => void;
      begun.push(new Promise<void>((resolve) => (started = resolve)));
      return exports.export(owner.organisationId, {}, stalled(), started);
    });
    await Promise.all(begun);
    const authorization = await authHeader(owner);
    try {
      const refused = await fetch(`${t.url}/api/audit-logs/export`, { headers: { authorization } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
    } finally {
      for (const release of releases) release();
      await Promise.all(running);
    }
    const again = await fetch(`${t.url}/api/audit-logs/export`, { headers: { authorization } });
    expect(again.status).toBe(200);
    expect(parse(await again.text(), { columns: true })).toHaveLength(ROWS);
  });

  it('gives its connection back afterwards: the pool still serves', async () => {
    for (let i = 0; i < 3; i++) await slowExport(t, await authHeader(owner), 10);
    const [{ n }] = await t.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
    );
    expect(n).toBe(0);
  });
});
