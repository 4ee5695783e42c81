import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { authHeader, seedMember } from '../kit/auth.js';
import { Mailbox, tokenHashIn, waitForMailQueueIdle } from '../kit/mailbox.js';
import {
  createDatabase,
  logMessages,
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

const PROCESSES = 3;
/** Requests of BATCH addresses, round-robin over the processes. */
const REQUESTS = Number(process.env.RELIABILITY_SCALE_OUT_REQUESTS ?? 60);
const BATCH = 5;

describe(`${PROCESSES} app processes against one PostgreSQL`, () => {
  let database: { url: string; drop(): Promise<void> };
  let dataSource: DataSource;
  let mailbox: Mailbox;
  const servers: ServerProcess[] = [];

  beforeAll(async () => {
    database = await createDatabase(`brms_scale_${randomBytes(4).toString('hex')}`);
    dataSource = await openDataSource(database.url);
    // A little SMTP latency, so the three workers' sends overlap.
    mailbox = await Mailbox.start({ delayMs: 30 });
    const started = await Promise.all(
      Array.from({ length: PROCESSES }, () =>
        startServerProcess({
          DATABASE_URL: database.url,
          SMTP_URL: mailbox.url,
          MAIL_WORKER_ENABLED: 'true',
          MAIL_WORKER_CONCURRENCY: '4',
          MAIL_POLL_INTERVAL: '500ms',
          MAIL_RETRY_DELAY: '1s',
          MAIL_RETRY_BACKOFF: 'false',
          DATABASE_POOL_SIZE: '5',
          // Info: the worker's "sent" lines and any "being sent by another worker" are evidence.
          LOG_LEVEL: 'info',
        }),
      ),
    );
    servers.push(...started);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(
      servers.map(async (server) => {
        server.signal('SIGTERM');
        await Promise.race([server.exited, timeout(20_000)]);
        server.kill();
      }),
    );
    await dataSource?.destroy();
    await mailbox?.close();
    await database?.drop();
  }, 60_000);

  it('mails each invitation once, whichever process took it, and no job runs twice at once', async () => {
    const owner = await seedMember(dataSource, { email: 'owner@scale-out.test' });
    const authorization = await authHeader(owner, { expiresIn: 3600 });
    const outcomes: { server: number; outcome: Outcome }[] = [];
    let next = 0;
    await runLoad({
      clients: 6,
      maxSteps: REQUESTS,
      maxMs: 120_000,
      stop: () => next >= REQUESTS,
      step: async () => {
        const n = next++;
        const server = n % PROCESSES;
        const emails = Array.from({ length: BATCH }, (_, i) => `scale-${n}-${i}@example.com`);
        const outcome = await send(servers[server].url, 'POST', '/api/users', {
          headers: { authorization },
          body: { emails },
        });
        outcomes.push({ server, outcome });
      },
    });
    const statuses = outcomes.map(({ outcome }) => (outcome.ok ? outcome.status : outcome.code));
    expect(statuses).toEqual(Array(REQUESTS).fill(200));

    const total = REQUESTS * BATCH;
    await mailbox.waitForCount(total, { timeout: 60_000 });
    await waitForMailQueueIdle(dataSource, { timeout: 30_000 });
    await sleep(1000); // anything still on its way would arrive now

    const invitations = await dataSource.query<{ id: string; email: string; token_hash: string }[]>(
      `SELECT id, email, token_hash FROM invitations WHERE email LIKE 'scale-%'`,
    );
    expect(invitations).toHaveLength(total);
    let lost = 0;
    let duplicated = 0;
    let staleLinks = 0;
    for (const invitation of invitations) {
      const arrived = mailbox.messagesTo(invitation.email);
      if (arrived.length === 0) lost++;
      if (arrived.length > 1) duplicated++;
      if (arrived.length > 0 && tokenHashIn(arrived[0]) !== invitation.token_hash) staleLinks++;
    }

    // Who sent what, from each process's own log: one "sent" line per invitation in all.
    const sentBy = servers.map((server) =>
      logMessages(server.output(), /^invitation \S+ \(#\d+\) sent to /),
    );
    const sendsPerInvitation = new Map<string, number>();
    for (const line of sentBy.flat()) {
      const id = /^invitation (\S+)/.exec(line)![1];
      sendsPerInvitation.set(id, (sendsPerInvitation.get(id) ?? 0) + 1);
    }
    const sentTwice = [...sendsPerInvitation.values()].filter((n) => n > 1).length;
    // Two workers on one job at once would show as a lease refusal, a failed attempt in pg-boss.
    const leaseRefusals = servers.flatMap((server) =>
      logMessages(server.output(), /being sent by another worker/),
    ).length;
    const [{ retried }] = await dataSource.query<{ retried: number }[]>(
      `SELECT count(*) FILTER (WHERE retry_count > 0)::int AS retried
         FROM pgboss.job WHERE name = 'invitation-email'`,
    );

    reportScenario(`scale-out processes=${PROCESSES}`, {
      requests: outcomes.length,
      '5xx': outcomes.filter(({ outcome }) => outcome.ok && outcome.status >= 500).length,
      lost,
      duplicated,
      invitations: total,
      sentByProcess0: sentBy[0].length,
      sentByProcess1: sentBy[1].length,
      sentByProcess2: sentBy[2].length,
      concurrentRuns: leaseRefusals,
      retriedJobs: retried,
    });
    expect({ lost, duplicated, staleLinks, sentTwice, leaseRefusals, retried }).toEqual({
      lost: 0,
      duplicated: 0,
      staleLinks: 0,
      sentTwice: 0,
      leaseRefusals: 0,
      retried: 0,
    });
    expect(sendsPerInvitation.size).toBe(total);
    // The work really was spread: every process answered requests and sent emails.
    for (const sent of sentBy) expect(sent.length).toBeGreaterThan(0);
  });
});
