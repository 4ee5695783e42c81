import { jest } from '@jest/globals';
import pg from 'pg';
import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import { InvitationDelivery } from '../src/invitations/delivery/invitation-delivery.service.js';
import { authHeader, seedMember } from './kit/auth.js';
import { Mailbox, mailTestConfig, waitForMailQueueIdle } from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';
import { until } from './kit/until.js';

/** Queries this file's database with a connection of its own (the app's may be closed). */
async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

interface JobRow {
  name: string;
  state: string;
  retry_count: number;
  started_on: Date | null;
  start_after: Date;
  output: { message?: string } | null;
}

const jobsFor = (invitationId: string) =>
  query<JobRow>(
    `SELECT name, state, retry_count, started_on, start_after, output FROM pgboss.job
      WHERE data->>'invitationId' = $1 ORDER BY created_on`,
    [invitationId],
  );

describe('mail worker', () => {
  let mailbox: Mailbox;
  beforeAll(async () => {
    mailbox = await Mailbox.start();
  });
  afterEach(async () => {
    mailbox.delayMs = 0;
    await mailbox.up();
  });
  afterAll(async () => {
    await mailbox?.close();
  });

  const startApp = (env: Record<string, string> = {}) =>
    createTestApp({
      override: (b) => b.overrideProvider(AppConfig).useValue(mailTestConfig(mailbox, env)),
    });

  async function inviteOne(t: TestApp, email: string): Promise<string> {
    const owner = await seedMember(t.dataSource, { email: `owner-of-${email}` });
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', await authHeader(owner))
      .send({ emails: [email] })
      .expect(200);
    return (res.body as { id: string }[])[0].id;
  }

  it('after the last attempt fails, dead-letters the job, marks the invitation failed and audits it', async () => {
    const t = await startApp({ MAIL_MAX_ATTEMPTS: '3', MAIL_RETRY_DELAY: '0' });
    try {
      await mailbox.down();
      const id = await inviteOne(t, 'unreachable@example.com');
      await until(
        async () =>
          (
            await query<{ s: string }>(
              `SELECT delivery_status AS s FROM invitations WHERE id = $1`,
              [id],
            )
          )[0].s === 'failed',
      );

      const [invitation] = await query<Record<string, unknown>>(
        `SELECT delivery_error, delivery_attempted_at, delivery_lease_until FROM invitations WHERE id = $1`,
        [id],
      );
      expect(invitation.delivery_error).toMatch(/ECONNREFUSED|connect/i);
      expect(invitation.delivery_attempted_at).toBeInstanceOf(Date);
      expect(invitation.delivery_lease_until).toBeNull();
      const jobs = await jobsFor(id);
      expect(jobs.map((j) => [j.name, j.state])).toEqual([
        ['invitation-email', 'failed'],
        ['invitation-email-dead', 'completed'],
      ]);
      expect(jobs[0].retry_count).toBe(2); // three attempts
      const audit = await query<Record<string, unknown>>(
        `SELECT actor_id, ip_address, data ->> 'email' AS email FROM audit_log
          WHERE data ->> 'invitationId' = $1 AND action = 'invitation.delivery_failed'`,
        [id],
      );
      expect(audit).toEqual([
        { actor_id: null, ip_address: null, email: 'unreachable@example.com' },
      ]);
      expect(mailbox.messagesTo('unreachable@example.com')).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('with two worker processes, each email is sent exactly once', async () => {
    mailbox.delayMs = 200; // sends overlap, so both workers are busy at once
    const first = await startApp({ MAIL_WORKER_CONCURRENCY: '2' });
    const second = await startApp({ MAIL_WORKER_CONCURRENCY: '2' }); // same database
    const sentBy = (t: TestApp) => {
      const spy = jest.spyOn(t.app.get(InvitationDelivery), 'deliver');
      return () => spy.mock.results.length;
    };
    const byFirst = sentBy(first);
    const bySecond = sentBy(second);
    try {
      const owner = await seedMember(first.dataSource, { email: 'owner@two.test' });
      const emails = Array.from({ length: 10 }, (_, i) => `pair${i}@example.com`);
      await request(first.server)
        .post('/api/users')
        .set('Authorization', await authHeader(owner))
        .send({ emails })
        .expect(200);

      for (const email of emails) await mailbox.waitFor(email, { timeout: 15_000 });
      await waitForMailQueueIdle(first.dataSource);
      for (const email of emails) expect(mailbox.messagesTo(email)).toHaveLength(1);
      expect(byFirst() + bySecond()).toBe(10);
      expect(byFirst()).toBeGreaterThan(0);
      expect(bySecond()).toBeGreaterThan(0);
    } finally {
      await second.app.close();
      await first.close();
    }
  });

  /**
   * Starts an app with the SMTP peer answering after `delayMs`, invites `email`, and closes the
   * app (what SIGTERM does) once the job is active, i.e. while its email is being sent; then runs
   * `check` with the invitation's id, the app closed and its database still there.
   */
  async function shutDownWhileSending(
    options: { delayMs: number; env: Record<string, string>; email: string },
    check: (invitationId: string) => Promise<void>,
  ): Promise<void> {
    mailbox.delayMs = options.delayMs;
    const t = await startApp(options.env);
    let closed = false;
    try {
      const id = await inviteOne(t, options.email);
      await until(async () => (await jobsFor(id)).some((j) => j.state === 'active'));
      await t.app.close();
      closed = true;
      await check(id);
    } finally {
      if (!closed) await t.app.close();
      await t.close();
    }
  }

  const deliveryStatusOf = async (id: string) =>
    (
      await query<{ delivery_status: string }>(
        `SELECT delivery_status FROM invitations WHERE id = $1`,
        [id],
      )
    )[0].delivery_status;

  it('on shutdown, finishes the email in flight before the app closes', async () => {
    const email = 'in-flight@example.com';
    await shutDownWhileSending(
      { delayMs: 1500, env: { MAIL_SHUTDOWN_TIMEOUT: '10s' }, email },
      async (id) => {
        // The app waited for the peer's answer: the email is there, and recorded.
        expect(mailbox.messagesTo(email)).toHaveLength(1);
        expect((await jobsFor(id)).map((j) => j.state)).toEqual(['completed']);
        expect(await deliveryStatusOf(id)).toBe('sent');
      },
    );
  });

  it('on shutdown, releases a job still sending when the grace period ends, for a retry', async () => {
    const email = 'released@example.com';
    await shutDownWhileSending(
      { delayMs: 2000, env: { MAIL_SHUTDOWN_TIMEOUT: '200ms' }, email },
      async (id) => {
        // Back in the queue without an attempt counted, not before the invitation's lease ends (a
        // retry inside it would find the lease held and fail).
        const [job] = await jobsFor(id);
        expect(job).toMatchObject({ state: 'created', retry_count: 0, started_on: null });
        // pg-boss 12 cannot give a re-inserted job an output: the reason goes to the log instead,
        // and no failure is recorded on the job.
        expect(job.output).toBeNull();
        const [lease] = await query<{ delivery_lease_until: Date }>(
          `SELECT delivery_lease_until FROM invitations WHERE id = $1`,
          [id],
        );
        expect(job.start_after.getTime()).toBeGreaterThanOrEqual(
          lease.delivery_lease_until.getTime(),
        );
        // The abandoned send still completes at the peer; a retry would then send once more (the
        // at-most-one-extra case). Let it finish before the database goes.
        await mailbox.waitFor(email);
      },
    );
  });

  it('on shutdown, releases a job on its last attempt without dead-lettering it', async () => {
    // One attempt in all: a release that counted as an attempt would fail the invitation for good
    // because a deploy happened while its email was being sent.
    const email = 'last-attempt@example.com';
    await shutDownWhileSending(
      { delayMs: 2000, env: { MAIL_SHUTDOWN_TIMEOUT: '200ms', MAIL_MAX_ATTEMPTS: '1' }, email },
      async (id) => {
        const jobs = await jobsFor(id);
        expect(jobs.map((j) => [j.name, j.state])).toEqual([['invitation-email', 'created']]);
        expect(await deliveryStatusOf(id)).toBe('queued');
        await mailbox.waitFor(email);
      },
    );
  });
});
