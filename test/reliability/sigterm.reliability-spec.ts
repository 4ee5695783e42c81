import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { DataSource } from 'typeorm';
import { authHeader, seedMember } from '../kit/auth.js';
import { Mailbox } from '../kit/mailbox.js';
import {
  countOf,
  createDatabase,
  openDataSource,
  runLoad,
  send,
  sleep,
  startServerProcess,
  timeout,
  type Outcome,
  type ServerProcess,
} from './harness.js';
import { reportScenario } from './report.js';

const GRACE_MS = 15_000;
const BATCH = 5;

interface Sample {
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  emails: string[];
}

describe('SIGTERM under load', () => {
  let database: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;
  let mailbox: Mailbox;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createDatabase(`brms_sigterm_${randomBytes(4).toString('hex')}`);
    dataSource = await openDataSource(database.url);
    mailbox = await Mailbox.start({ delayMs: 20 });
  });
  afterAll(async () => {
    for (const server of servers) server.kill();
    await dataSource?.destroy();
    await mailbox?.close();
    await database?.drop();
  }, 60_000);

  const serverEnv = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: database.url,
    SMTP_URL: mailbox.url,
    MAIL_WORKER_ENABLED: 'true',
    MAIL_POLL_INTERVAL: '500ms',
    MAIL_SHUTDOWN_TIMEOUT: '5s',
    SHUTDOWN_GRACE_PERIOD: `${GRACE_MS / 1000}s`,
    LOG_LEVEL: 'info',
    ...extra,
  });

  it('finishes the requests in flight, cuts no transaction, and exits 0 within the grace period', async () => {
    const server = await startServerProcess(serverEnv());
    servers.push(server);
    const owner = await seedMember(dataSource, { email: 'owner@sigterm.test' });
    const authorization = await authHeader(owner, { expiresIn: 3600 });

    const samples: Sample[] = [];
    let refused = false;
    let counter = 0;
    const load = runLoad({
      clients: 12,
      maxSteps: 5000,
      maxMs: GRACE_MS + 30_000,
      stop: () => refused,
      step: async () => {
        const n = counter++;
        const emails = Array.from({ length: BATCH }, (_, i) => `term-${n}-${i}@example.com`);
        const startedAt = Date.now();
        const outcome = await send(server.url, 'POST', '/api/users', {
          headers: { authorization },
          body: { emails },
        });
        samples.push({ startedAt, endedAt: Date.now(), outcome, emails });
        // Once the listener is closed there is nothing more to learn.
        if (!outcome.ok && outcome.code === 'ECONNREFUSED') refused = true;
      },
    });

    await sleep(2500);
    const sigtermAt = Date.now();
    server.signal('SIGTERM');
    // Asked at once, while the worker drains and the requests in flight finish: out of rotation.
    const readiness = await send(server.url, 'GET', '/api/health/ready', { timeoutMs: 2000 });
    const exit = await Promise.race([server.exited, timeout(GRACE_MS + 10_000)]);
    const exitedAfterMs = Date.now() - sigtermAt;
    refused = true;
    await load;

    const inFlight = samples.filter((s) => s.startedAt < sigtermAt && s.endedAt >= sigtermAt);
    const afterSigterm = samples.filter((s) => s.startedAt >= sigtermAt);
    const isOk = (s: Sample) => s.outcome.ok && s.outcome.status === 200;
    const transportError = (s: Sample) => (s.outcome.ok ? undefined : s.outcome.code);

    // Every address of every request: all of its rows, or none.
    const rows = await dataSource.query<
      { email: string; invitation: boolean; audit: boolean; job: boolean; membership: boolean }[]
    >(
      `SELECT a.email,
              i.id IS NOT NULL AS invitation,
              EXISTS (SELECT 1 FROM audit_log l
                       WHERE l.data ->> 'invitationId' = i.id::text AND l.action = 'invitation.created') AS audit,
              EXISTS (SELECT 1 FROM pgboss.job j WHERE j.data->>'invitationId' = i.id::text) AS job,
              EXISTS (SELECT 1 FROM organisation_members m JOIN users u ON u.id = m.user_id
                       WHERE u.email = a.email AND m.organisation_id = $2) AS membership
         FROM unnest($1::text[]) AS a(email)
         LEFT JOIN invitations i ON i.email = a.email AND i.organisation_id = $2`,
      [samples.flatMap((s) => s.emails), owner.organisationId],
    );
    const byEmail = new Map(rows.map((row) => [row.email, row]));
    const complete = (email: string) => {
      const row = byEmail.get(email)!;
      return row.invitation && row.audit && row.job && row.membership;
    };
    const absent = (email: string) => {
      const row = byEmail.get(email)!;
      return !row.invitation && !row.audit && !row.job && !row.membership;
    };
    const partial = samples.flatMap((s) => s.emails).filter((e) => !complete(e) && !absent(e));
    const lost = samples
      .filter(isOk)
      .flatMap((s) => s.emails)
      .filter((e) => !complete(e));
    // A transport error is only harmless when the server never acted on the request.
    const cut = samples.filter((s) => !s.outcome.ok && !s.emails.every(absent));
    const orphans = await countOf(
      dataSource,
      `SELECT count(*)::int AS n FROM invitations i
        WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.data ->> 'invitationId' = i.id::text)
           OR NOT EXISTS (SELECT 1 FROM pgboss.job j WHERE j.data->>'invitationId' = i.id::text)`,
    );

    reportScenario('sigterm', {
      requests: samples.length,
      '5xx': samples.filter((s) => s.outcome.ok && s.outcome.status >= 500).length,
      lost: lost.length,
      duplicated: 0,
      inFlightAtSigterm: inFlight.length,
      servedAfterSigterm: afterSigterm.filter(isOk).length,
      // Transport errors by code: ECONNREFUSED once the listener closed; ECONNRESET for a
      // connection the kernel had queued but the server never accepted (nothing of it was written).
      ...Object.fromEntries(
        [...new Set(samples.map(transportError).filter(Boolean))].map((code) => [
          `transport${code}`,
          samples.filter((s) => transportError(s) === code).length,
        ]),
      ),
      partial: partial.length,
      // 0: no answer (the listener had closed).
      readinessAfterSigterm: readiness.ok ? readiness.status : 0,
      exitCode: exit?.code ?? -1,
      exitedAfterMs,
      graceMs: GRACE_MS,
    });

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitedAfterMs).toBeLessThan(GRACE_MS);
    // 503, or refused if the listener had already closed: never 200 after SIGTERM.
    expect([503, 'ECONNREFUSED']).toContain(readiness.ok ? readiness.status : readiness.code);
    expect(inFlight.length).toBeGreaterThan(0);
    expect(inFlight.map((s) => (s.outcome.ok ? s.outcome.status : s.outcome.code))).toEqual(
      Array(inFlight.length).fill(200),
    );
    // Before and after SIGTERM: served in full, or refused at the door; nothing in between.
    expect(samples.filter((s) => s.outcome.ok && s.outcome.status !== 200)).toHaveLength(0);
    expect(cut).toHaveLength(0);
    expect(partial).toEqual([]);
    expect(lost).toEqual([]);
    expect(orphans).toBe(0);
    expect(server.output()).not.toMatch(/grace period: exiting/);
  });

  it('exits with 1 once the grace period is over when a request will not finish', async () => {
    const server = await startServerProcess(
      serverEnv({ MAIL_SHUTDOWN_TIMEOUT: '1s', SHUTDOWN_GRACE_PERIOD: '2s' }),
    );
    servers.push(server);
    // A client that announces a body and never sends it: the request stays in flight.
    const { port } = new URL(server.url);
    const stuck = connect(Number(port), '127.0.0.1');
    try {
      await once(stuck, 'connect');
      stuck.write(
        'POST /api/users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
          'Content-Length: 100\r\n\r\n{',
      );
      await sleep(500);
      const sigtermAt = Date.now();
      server.signal('SIGTERM');
      const exit = await Promise.race([server.exited, timeout(10_000)]);
      const exitedAfterMs = Date.now() - sigtermAt;
      expect(exit).toEqual({ code: 1, signal: null });
      expect(exitedAfterMs).toBeGreaterThanOrEqual(2000);
      expect(exitedAfterMs).toBeLessThan(5000);
      expect(server.output()).toMatch(/grace period: exiting/);
    } finally {
      stuck.destroy();
    }
  });
});
