import { jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '../src/config/app-config.js';
import {
  DeliveryLeaseHeldError,
  InvitationDelivery,
} from '../src/invitations/delivery/invitation-delivery.service.js';
import { InvitationOutbox, jobIdFor } from '../src/invitations/delivery/invitation-outbox.js';
import { hashInvitationToken } from '../src/invitations/invitation-token.js';
import { seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import {
  Mailbox,
  acceptLinkIn,
  pendingMailJobs,
  tokenHashIn,
  waitForMailQueueIdle,
} from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';
import { until } from './kit/until.js';

const DAY = 24 * 3600 * 1000;

interface InvitationRow {
  id: string;
  email: string;
  status: string;
  token_hash: string | null;
  send_count: number;
  delivery_status: string | null;
  delivery_error: string | null;
  delivery_attempted_at: Date | null;
  delivery_lease_until: Date | null;
}

/**
 * The worker seen from the database and the SMTP peer: rows are written here the way the
 * invitations service writes them (insert or refresh, then enqueue in the same transaction).
 */
describe('mail delivery worker', () => {
  let t: TestApp;
  let mailbox: Mailbox;
  let owner: Member;
  let outbox: InvitationOutbox;
  const clock = new TestClock();

  beforeAll(async () => {
    t = await createTestApp({
      mailbox: true,
      env: { APP_URL: 'https://brms.example.com' },
      clock,
    });
    mailbox = t.mailbox!;
    owner = await seedMember(t.dataSource, {
      email: 'owner@acme.test',
      organisationName: 'Acme Rockets',
    });
    outbox = t.app.get(InvitationOutbox);
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(async () => {
    // Nothing left running between tests, and the peer is back up.
    await mailbox.up();
    await waitForMailQueueIdle(t.dataSource);
  });

  const row = async (id: string): Promise<InvitationRow> =>
    (await t.dataSource.query<InvitationRow[]>(`SELECT * FROM invitations WHERE id = $1`, [id]))[0];

  /**
   * A pending invitation and its email job, committed together (or written through `manager`, in
   * the caller's transaction); returns the invitation id.
   */
  async function invite(
    email: string,
    options: { expiresAt?: Date | null; invitedBy?: string | null; enqueue?: boolean } = {},
    manager?: EntityManager,
  ): Promise<string> {
    if (!manager) return t.dataSource.transaction((m) => invite(email, options, m));
    const [{ id: userId }] = await manager.query<{ id: string }[]>(
      `INSERT INTO users (email) VALUES ($1)
       ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id`,
      [email],
    );
    const expiresAt =
      options.expiresAt === undefined
        ? new Date(clock.now().getTime() + 7 * DAY)
        : options.expiresAt;
    const [{ id }] = await manager.query<{ id: string }[]>(
      `INSERT INTO invitations (organisation_id, user_id, email, invited_by, expires_at,
                                last_sent_at, send_count, delivery_status)
       VALUES ($1, $2, $3, $4, $5, now(), 1, 'queued') RETURNING id`,
      [
        owner.organisationId,
        userId,
        email,
        options.invitedBy === undefined ? owner.userId : options.invitedBy,
        expiresAt,
      ],
    );
    if (options.enqueue ?? true) await outbox.enqueue(manager, { invitationId: id, generation: 1 });
    return id;
  }

  /** What the invitations service does on a re-invite: new generation, link cleared, new job. */
  async function refresh(
    id: string,
    manager = t.dataSource.manager,
    enqueue = true,
  ): Promise<number> {
    const [[{ send_count: generation }]] = await manager.query<[[{ send_count: number }], number]>(
      `UPDATE invitations SET token_hash = NULL, send_count = send_count + 1,
              delivery_status = 'queued', delivery_error = NULL, last_sent_at = now()
        WHERE id = $1 RETURNING send_count`,
      [id],
    );
    if (enqueue) await outbox.enqueue(manager, { invitationId: id, generation });
    return generation;
  }

  it('sends both parts to the invitee, naming the organisation, the inviter and the expiry', async () => {
    const expiresAt = new Date('2031-03-04T05:06:00Z');
    const id = await invite('first@example.com', { expiresAt });
    const email = await mailbox.waitFor('first@example.com');

    expect(email.to).toEqual(['first@example.com']);
    expect(email.from).toBe('"BRMS" <no-reply@localhost>');
    expect(email.subject).toBe('You are invited to join Acme Rockets on BRMS');
    for (const part of [email.text, email.html]) {
      expect(part).toContain('Acme Rockets');
      expect(part).toContain('owner@acme.test');
      expect(part).toContain('4 March 2031 at 05:06 UTC');
    }
    const { url, token } = acceptLinkIn(email);
    expect(`${url.origin}${url.pathname}`).toBe('https://brms.example.com/invitations/accept');
    expect(email.html).toContain(`accept?token&#x3D;${token}`);

    await waitForMailQueueIdle(t.dataSource);
    const stored = await row(id);
    // Only the hash is stored, and it is the hash of the token in the link.
    expect(stored.token_hash).toBe(hashInvitationToken(token));
    expect(stored).toMatchObject({
      delivery_status: 'sent',
      delivery_error: null,
      delivery_lease_until: null,
    });
    expect(stored.delivery_attempted_at).toEqual(clock.now());
  });

  it('names nobody when the inviter is unknown, and says a link without expiry does not expire', async () => {
    await invite('anonymous@example.com', { invitedBy: null, expiresAt: null });
    const email = await mailbox.waitFor('anonymous@example.com');
    expect(email.text).toContain('You have been invited to join Acme Rockets on BRMS.');
    expect(email.text).toContain('This link does not expire.');
  });

  it('enqueues nothing when the transaction rolls back', async () => {
    const invitationId = randomUUID();
    const jobs = async () =>
      (
        await t.dataSource.query<unknown[]>(`SELECT id FROM pgboss.job WHERE id = $1`, [
          jobIdFor({ invitationId, generation: 1 }),
        ])
      ).length;
    const rolledBack = t.dataSource.transaction(async (manager) => {
      await outbox.enqueue(manager, { invitationId, generation: 1 });
      expect(await jobs()).toBe(0); // not visible outside before a commit
      throw new Error('request failed');
    });
    await expect(rolledBack).rejects.toThrow('request failed');
    expect(await jobs()).toBe(0);
    expect(await pendingMailJobs(t.dataSource)).toBe(0);
  });

  it('refuses to enqueue outside a transaction', async () => {
    await expect(
      outbox.enqueue(t.dataSource.manager, { invitationId: owner.userId, generation: 1 }),
    ).rejects.toThrow(/open transaction/);
  });

  it('sends once when the same email is enqueued twice', async () => {
    const id = await invite('twice@example.com');
    await t.dataSource.transaction((m) => outbox.enqueue(m, { invitationId: id, generation: 1 }));
    await mailbox.waitFor('twice@example.com');
    await waitForMailQueueIdle(t.dataSource);
    expect(mailbox.messagesTo('twice@example.com')).toHaveLength(1);
  });

  it('on a re-invite, mails a new link; the old token no longer matches', async () => {
    const id = await invite('again@example.com');
    const first = await mailbox.waitFor('again@example.com');
    await waitForMailQueueIdle(t.dataSource);

    await t.dataSource.transaction((manager) => refresh(id, manager));
    const second = await mailbox.waitFor('again@example.com', { count: 2 });
    await waitForMailQueueIdle(t.dataSource);

    const stored = await row(id);
    expect(stored).toMatchObject({ send_count: 2, delivery_status: 'sent' });
    expect(stored.token_hash).toBe(tokenHashIn(second));
    expect(stored.token_hash).not.toBe(tokenHashIn(first));
  });

  it('does not mail an invitation refreshed or revoked before its job runs', async () => {
    // Committed together with the change, so the worker can only see the job after it.
    const refreshed = await t.dataSource.transaction(async (manager) => {
      const id = await invite('refreshed-early@example.com', {}, manager);
      await refresh(id, manager, false); // generation 2, whose job is enqueued later
      return id;
    });
    const revoked = await t.dataSource.transaction(async (manager) => {
      const id = await invite('revoked-early@example.com', {}, manager);
      await manager.query(
        `UPDATE invitations SET status = 'revoked', revoked_at = now() WHERE id = $1`,
        [id],
      );
      return id;
    });
    await waitForMailQueueIdle(t.dataSource);
    expect(mailbox.messagesTo('refreshed-early@example.com')).toEqual([]);
    expect(mailbox.messagesTo('revoked-early@example.com')).toEqual([]);
    expect((await row(refreshed)).token_hash).toBeNull();
    expect(await row(revoked)).toMatchObject({ token_hash: null, delivery_status: 'queued' });
  });

  it('does not mail an expired invitation, and records why', async () => {
    const id = await invite('expired@example.com', {
      expiresAt: new Date(clock.now().getTime() - 1000),
    });
    await waitForMailQueueIdle(t.dataSource);
    expect(mailbox.messagesTo('expired@example.com')).toEqual([]);
    expect(await row(id)).toMatchObject({
      token_hash: null,
      delivery_status: 'failed',
      delivery_error: expect.stringMatching(/expired/),
    });
  });

  it('keeps retrying while the SMTP peer is down; once it is back every email arrives once', async () => {
    await mailbox.down();
    const addresses = ['down1@example.com', 'down2@example.com', 'down3@example.com'];
    const ids = await Promise.all(addresses.map((address) => invite(address)));

    // Each has failed at least one attempt, recorded on the invitation, still queued.
    await until(async () => (await Promise.all(ids.map(row))).every((r) => r.delivery_error));
    for (const id of ids) {
      expect(await row(id)).toMatchObject({
        delivery_status: 'queued',
        delivery_error: expect.stringMatching(/ECONNREFUSED|connect/i),
        delivery_lease_until: null,
      });
    }

    await mailbox.up();
    for (const address of addresses) await mailbox.waitFor(address, { timeout: 15_000 });
    await waitForMailQueueIdle(t.dataSource);
    for (const [i, address] of addresses.entries()) {
      const emails = mailbox.messagesTo(address);
      expect(emails).toHaveLength(1);
      const stored = await row(ids[i]);
      expect(stored).toMatchObject({ delivery_status: 'sent', delivery_error: null });
      expect(stored.token_hash).toBe(tokenHashIn(emails[0]));
    }
  });

  it('after a crash between the SMTP accept and recording it, sends at most once more', async () => {
    const delivery = t.app.get(InvitationDelivery);
    const recordSent = jest
      .spyOn(delivery as unknown as { recordSent: () => Promise<void> }, 'recordSent')
      .mockRejectedValueOnce(new Error('process died'));
    try {
      const id = await invite('crash@example.com');
      const first = await mailbox.waitFor('crash@example.com');
      // Retries find the first attempt's lease and send nothing while it runs...
      const jobId = jobIdFor({ invitationId: id, generation: 1 });
      await until(async () => {
        const [job] = await t.dataSource.query<{ retry_count: number }[]>(
          `SELECT retry_count FROM pgboss.job WHERE id = $1`,
          [jobId],
        );
        return job.retry_count >= 2;
      });
      expect(mailbox.messagesTo('crash@example.com')).toHaveLength(1);
      // ...until it runs out, as it does when the worker that held it is gone.
      clock.advance(10 * 60_000);

      const second = await mailbox.waitFor('crash@example.com', { count: 2 });
      await waitForMailQueueIdle(t.dataSource);
      expect(mailbox.messagesTo('crash@example.com')).toHaveLength(2);
      const stored = await row(id);
      expect(stored.delivery_status).toBe('sent');
      expect(stored.token_hash).toBe(tokenHashIn(second));
      expect(stored.token_hash).not.toBe(tokenHashIn(first));
    } finally {
      recordSent.mockRestore();
    }
  });

  describe('deliver() on a job', () => {
    it('refuses while another worker holds the lease, and sends nothing', async () => {
      const id = await invite('leased@example.com', { enqueue: false });
      await t.dataSource.query(
        `UPDATE invitations SET token_hash = 'held', delivery_lease_until = $2 WHERE id = $1`,
        [id, new Date(clock.now().getTime() + 60_000)],
      );
      await expect(
        t.app.get(InvitationDelivery).deliver({ invitationId: id, generation: 1 }),
      ).rejects.toBeInstanceOf(DeliveryLeaseHeldError);
      expect((await row(id)).token_hash).toBe('held');
      expect(mailbox.messagesTo('leased@example.com')).toEqual([]);
    });

    it('gives up on a server that takes longer than MAIL_SEND_TIMEOUT, and says so on the invitation', async () => {
      const id = await invite('slow@example.com', { enqueue: false });
      const { sendTimeoutMs } = t.app.get(AppConfig).mail;
      mailbox.delayMs = sendTimeoutMs + 2000;
      try {
        const started = Date.now();
        await expect(
          t.app.get(InvitationDelivery).deliver({ invitationId: id, generation: 1 }),
        ).rejects.toThrow(/MAIL_SEND_TIMEOUT/);
        expect(Date.now() - started).toBeLessThan(sendTimeoutMs + 1500);
      } finally {
        mailbox.delayMs = 0;
      }
      expect(await row(id)).toMatchObject({
        delivery_status: 'queued',
        delivery_error: expect.stringMatching(
          new RegExp(
            `did not accept the message within ${sendTimeoutMs} ms \\(MAIL_SEND_TIMEOUT\\)`,
          ),
        ),
        delivery_lease_until: null,
      });
    }, 20_000);

    it('sends nothing for a job whose email already went out', async () => {
      const id = await invite('once@example.com', { enqueue: false });
      const delivery = t.app.get(InvitationDelivery);
      await expect(delivery.deliver({ invitationId: id, generation: 1 })).resolves.toBe('sent');
      await expect(delivery.deliver({ invitationId: id, generation: 1 })).resolves.toBe(
        'already-sent',
      );
      await expect(delivery.deliver({ invitationId: id, generation: 7 })).resolves.toBe(
        'superseded',
      );
      expect(mailbox.messagesTo('once@example.com')).toHaveLength(1);
    });
  });
});
