import { authHeader, mintPat, seedMember } from '../kit/auth.js';
import { waitForMailQueueIdle } from '../kit/mailbox.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { until } from '../kit/until.js';
import {
  countOf,
  runLoad,
  send,
  sleep,
  startOwnPostgres,
  type OwnPostgres,
  type Outcome,
} from './harness.js';
import { reportScenario } from './report.js';

/** How long PostgreSQL stays down. */
const OUTAGE_MS = Number(process.env.RELIABILITY_PG_OUTAGE_MS ?? 10_000);
/** "Not a hang past a few seconds": no request may take longer than this, outage or not. */
const HANG_LIMIT_MS = 5000;

interface Sample {
  startedAt: number;
  endedAt: number;
  outcome: Outcome;
  email?: string;
}

describe(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s under load and started again`, () => {
  let pg: OwnPostgres;
  let t: TestApp;

  beforeAll(async () => {
    pg = await startOwnPostgres('brms-reliability-pg-');
    t = await createTestApp({
      mailbox: true,
      env: {
        DATABASE_URL: pg.url,
        DATABASE_RUN_MIGRATIONS: 'true',
        MAIL_WORKER_CONCURRENCY: '4',
        MAIL_RETRY_DELAY: '1s',
        MAIL_SEND_TIMEOUT: '2s',
      },
    });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await pg?.close();
  }, 60_000);

  it('answers 503 with Retry-After meanwhile, recovers by itself, and the worker resumes', async () => {
    const owner = await seedMember(t.dataSource, { email: 'owner@pg-outage.test' });
    const authorization = await authHeader(owner, { expiresIn: 3600 });
    const bearer = (await mintPat(t.url, owner)).header;
    const invites: Sample[] = [];
    const probes: Sample[] = [];
    const bearerLists: Sample[] = [];
    let done = false;
    let counter = 0;

    const load = runLoad({
      clients: 6,
      maxSteps: 5000,
      maxMs: OUTAGE_MS + 90_000,
      stop: () => done,
      step: async () => {
        const email = `pg-${counter++}@example.com`;
        const startedAt = Date.now();
        const outcome = await send(t.url, 'POST', '/api/users', {
          headers: { authorization },
          body: { emails: [email] },
        });
        invites.push({ startedAt, endedAt: Date.now(), outcome, email });
        await sleep(20);
      },
    });
    const probe = runLoad({
      clients: 1,
      maxSteps: 2000,
      maxMs: OUTAGE_MS + 90_000,
      stop: () => done,
      step: async () => {
        const startedAt = Date.now();
        const outcome = await send(t.url, 'GET', '/api/health/ready');
        probes.push({ startedAt, endedAt: Date.now(), outcome });
        await sleep(250);
      },
    });

    // A personal access token is looked up in the database: while it is down, that is a 503 too,
    // never a 401 that would tell a CI client its token was revoked.
    const bearerList = runLoad({
      clients: 1,
      maxSteps: 2000,
      maxMs: OUTAGE_MS + 90_000,
      stop: () => done,
      step: async () => {
        const startedAt = Date.now();
        const outcome = await send(t.url, 'GET', '/api/invitations', {
          headers: { authorization: bearer },
        });
        bearerLists.push({ startedAt, endedAt: Date.now(), outcome });
        await sleep(250);
      },
    });

    let stopping = 0;
    let stopped = 0;
    let starting = 0;
    let recovered = 0;
    try {
      await sleep(3000);
      stopping = Date.now();
      await pg.stop();
      stopped = Date.now();
      await sleep(OUTAGE_MS);
      starting = Date.now();
      await pg.start();
      await until(
        () =>
          invites.some((s) => s.startedAt > starting && s.outcome.ok && s.outcome.status === 200),
        30_000,
        'an invitation answered 200 after the restart',
      );
      recovered = Math.min(
        ...invites
          .filter((s) => s.startedAt > starting && s.outcome.ok && s.outcome.status === 200)
          .map((s) => s.endedAt),
      );
      await until(
        () =>
          probes.some((s) => s.startedAt > starting && s.outcome.ok && s.outcome.status === 200),
        30_000,
        'readiness 200 after the restart',
      );
      await sleep(3000);
    } finally {
      done = true;
      await Promise.all([load, probe, bearerList]);
    }

    const statusOf = (s: Sample) => (s.outcome.ok ? s.outcome.status : s.outcome.code);
    const during = (s: Sample) => s.startedAt >= stopped && s.endedAt <= starting;
    const before = (s: Sample) => s.endedAt < stopping;
    const after = (s: Sample) => s.startedAt > recovered;

    // Every answer is complete, quick, and either 200 or 503 with Retry-After; never a 500.
    const transportErrors = invites.filter((s) => !s.outcome.ok);
    const slow = invites.filter((s) => s.outcome.ms > HANG_LIMIT_MS);
    const unexpected = invites.filter((s) => ![200, 503].includes(statusOf(s) as number));
    const unavailable = invites.filter((s) => statusOf(s) === 503);
    const withoutRetryAfter = unavailable.filter(
      (s) => s.outcome.ok && !/^\d+$/.test(String(s.outcome.headers['retry-after'] ?? '')),
    );
    expect(transportErrors.map(statusOf)).toEqual([]);
    expect(slow.map((s) => Math.round(s.outcome.ms))).toEqual([]);
    expect(unexpected.map(statusOf)).toEqual([]);
    expect(withoutRetryAfter).toHaveLength(0);
    for (const s of unavailable) {
      if (s.outcome.ok) expect(s.outcome.headers['content-type']).toMatch(/problem\+json/);
    }
    expect(invites.filter(before).map(statusOf)).not.toContain(503);
    expect(invites.filter(before).length).toBeGreaterThan(0);
    expect(new Set(invites.filter(during).map(statusOf))).toEqual(new Set([503]));
    expect(invites.filter(after).length).toBeGreaterThan(0);
    expect(invites.filter(after).map(statusOf)).not.toContain(503);

    expect(new Set(bearerLists.filter(during).map(statusOf))).toEqual(new Set([503]));
    expect(bearerLists.filter(after).map(statusOf)).toContain(200);
    expect(bearerLists.map(statusOf)).not.toContain(401);

    // Readiness: up before, down during, up again after, by itself.
    expect(probes.filter(before).map(statusOf)).toContain(200);
    expect(new Set(probes.filter(during).map(statusOf))).toEqual(new Set([503]));
    expect(probes.at(-1) && statusOf(probes.at(-1)!)).toBe(200);

    // Every 200 was committed whole (invitation, audit row, job), and the worker mails it once,
    // those queued before the outage, caught in it, and created after it alike.
    const accepted = invites.filter((s) => statusOf(s) === 200).map((s) => s.email!);
    const lost = await countOf(
      t.dataSource,
      `SELECT count(*)::int AS n FROM unnest($1::text[]) AS a(email)
        WHERE NOT EXISTS (
          SELECT 1 FROM invitations i
            JOIN audit_log l ON l.data ->> 'invitationId' = i.id::text AND l.action = 'invitation.created'
            JOIN pgboss.job j ON j.data->>'invitationId' = i.id::text
           WHERE i.email = a.email)`,
      [accepted],
    );
    const mailbox = t.mailbox!;
    await until(
      () => accepted.every((email) => mailbox.messagesTo(email).length > 0),
      60_000,
      `emails for all ${accepted.length} accepted invitations`,
      250,
    ).catch(() => undefined); // counted as lost below, with the numbers
    // Nothing left that could send: a second email would have arrived by now.
    const queueIdle = await waitForMailQueueIdle(t.dataSource, { timeout: 60_000 }).then(
      () => true,
      () => false,
    );
    await sleep(500);
    const unmailed = accepted.filter((email) => mailbox.messagesTo(email).length === 0).length;
    const duplicated = accepted.filter((email) => mailbox.messagesTo(email).length > 1).length;
    // A 503 may still have committed (the connection died after COMMIT): report, do not fail.
    const committedDespite503 = await countOf(
      t.dataSource,
      `SELECT count(*)::int AS n FROM invitations WHERE email = ANY($1::text[])`,
      [unavailable.map((s) => s.email!)],
    );

    reportScenario(`postgres-outage outage=${Math.round((starting - stopped) / 1000)}s`, {
      requests: invites.length,
      '5xx': invites.filter((s) => (statusOf(s) as number) >= 500).length,
      // Not '503': integer-like keys would be printed before all the others.
      status503: unavailable.length,
      status500: invites.filter((s) => statusOf(s) === 500).length,
      lost: lost + unmailed,
      duplicated,
      maxMs: Math.round(Math.max(...invites.map((s) => s.outcome.ms))),
      recoveredInMs: recovered - starting,
      committedDespite503,
      probes: probes.length,
    });
    expect({ lost, unmailed, duplicated, queueIdle }).toEqual({
      lost: 0,
      unmailed: 0,
      duplicated: 0,
      queueIdle: true,
    });
  });
});
