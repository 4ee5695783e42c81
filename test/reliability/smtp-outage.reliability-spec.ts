import { authHeader, seedMember } from '../kit/auth.js';
import { tokenHashIn, waitForMailQueueIdle } from '../kit/mailbox.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { until } from '../kit/until.js';
import { countOf, runLoad, send, sleep, type Outcome } from './harness.js';
import { reportScenario } from './report.js';

/** How long the SMTP peer refuses connections; the issue asks for 60 s. */
const OUTAGE_MS = Number(process.env.RELIABILITY_SMTP_OUTAGE_MS ?? 60_000);
/** Requests of BATCH addresses each: 100 × 10 = 1 000 invitations. */
const REQUESTS = Number(process.env.RELIABILITY_SMTP_REQUESTS ?? 100);
const BATCH = 10;
/**
 * The retry timing, shortened by configuration (the default backoff spans about an hour): a retry
 * every RETRY_DELAY_S, and enough attempts to outlast the outage with room to spare.
 */
const RETRY_DELAY_S = 10;
const MAX_ATTEMPTS = Math.min(100, Math.ceil(OUTAGE_MS / 1000 / RETRY_DELAY_S) + 10);

describe(`SMTP peer refusing connections for ${OUTAGE_MS / 1000} s`, () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      mailbox: true,
      env: {
        MAIL_WORKER_CONCURRENCY: '8',
        MAIL_RETRY_DELAY: `${RETRY_DELAY_S}s`,
        MAIL_RETRY_BACKOFF: 'false',
        MAIL_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
        MAIL_SEND_TIMEOUT: '5s',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('accepts every invitation meanwhile and mails each once after the peer returns', async () => {
    const mailbox = t.mailbox!;
    const owner = await seedMember(t.dataSource, { email: 'owner@smtp-outage.test' });
    const authorization = await authHeader(owner, { expiresIn: 3600 });

    await mailbox.down();
    const outageStarted = Date.now();
    const outcomes: Outcome[] = [];
    let next = 0;
    await runLoad({
      clients: 10,
      maxSteps: REQUESTS,
      maxMs: 120_000,
      stop: () => next >= REQUESTS,
      step: async () => {
        const n = next++;
        const emails = Array.from({ length: BATCH }, (_, i) => `smtp-${n}-${i}@example.com`);
        outcomes.push(
          await send(t.url, 'POST', '/api/users', { headers: { authorization }, body: { emails } }),
        );
      },
    });
    const createdMs = Date.now() - outageStarted;
    const statuses = outcomes.map((o) => (o.ok ? o.status : o.code));
    expect(statuses).toEqual(Array(REQUESTS).fill(200));

    // The worker kept trying meanwhile: failures are recorded on the invitations, nothing arrived.
    await until(
      async () =>
        (await countOf(
          t.dataSource,
          `SELECT count(*)::int AS n FROM invitations WHERE delivery_error IS NOT NULL`,
        )) > 0,
      OUTAGE_MS,
      'a failed attempt recorded',
    );
    await sleep(Math.max(0, outageStarted + OUTAGE_MS - Date.now()));
    const outageMs = Date.now() - outageStarted;
    expect(mailbox.received).toHaveLength(0);
    const [{ attempts, pending }] = await t.dataSource.query<
      { attempts: number; pending: number }[]
    >(
      `SELECT coalesce(sum(retry_count), 0)::int AS attempts,
              count(*) FILTER (WHERE state < 'completed')::int AS pending
         FROM pgboss.job WHERE name = 'invitation-email'`,
    );
    expect(pending).toBe(REQUESTS * BATCH);

    await mailbox.up();
    const upAt = Date.now();
    await mailbox.waitForCount(REQUESTS * BATCH, { timeout: 120_000 });
    const drainMs = Date.now() - upAt;
    await waitForMailQueueIdle(t.dataSource, { timeout: 30_000 });
    await sleep(1000); // anything still on its way would arrive now

    const invitations = await t.dataSource.query<{ email: string; token_hash: string | null }[]>(
      `SELECT email, token_hash FROM invitations WHERE email LIKE 'smtp-%' AND delivery_status = 'sent'`,
    );
    const hashByEmail = new Map(invitations.map((row) => [row.email, row.token_hash]));
    let lost = 0;
    let duplicated = 0;
    let staleLinks = 0;
    for (let n = 0; n < REQUESTS; n++) {
      for (let i = 0; i < BATCH; i++) {
        const address = `smtp-${n}-${i}@example.com`;
        const arrived = mailbox.messagesTo(address);
        if (arrived.length === 0) lost++;
        if (arrived.length > 1) duplicated++;
        if (arrived.length > 0 && tokenHashIn(arrived.at(-1)!) !== hashByEmail.get(address)) {
          staleLinks++;
        }
      }
    }
    const serverErrors = statuses.filter((s) => typeof s === 'number' && s >= 500).length;
    reportScenario(`smtp-outage outage=${Math.round(outageMs / 1000)}s`, {
      requests: outcomes.length,
      '5xx': serverErrors,
      lost,
      duplicated,
      invitations: REQUESTS * BATCH,
      failedAttempts: attempts,
      createdInMs: createdMs,
      drainedInMs: drainMs,
    });
    expect({ serverErrors, lost, duplicated, staleLinks }).toEqual({
      serverErrors: 0,
      lost: 0,
      duplicated: 0,
      staleLinks: 0,
    });
    expect(mailbox.received).toHaveLength(REQUESTS * BATCH);
  });
});
