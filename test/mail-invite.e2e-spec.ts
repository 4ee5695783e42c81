import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import {
  Mailbox,
  acceptLinkIn,
  mailTestConfig,
  tokenHashIn,
  waitForMailQueueIdle,
  type ReceivedEmail,
} from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';
import { until } from './kit/until.js';

interface InvitationBody {
  id: string;
  userId: string;
  email: string;
}

interface StoredInvitation {
  email: string;
  token_hash: string | null;
  delivery_status: string | null;
  delivery_error: string | null;
}

/**
 * The acceptance criteria of invitation email delivery, through the API: POST /api/users with a
 * real SMTP peer (test/kit/mailbox.ts) behind the worker.
 */
describe('invitation emails (POST /api/users → SMTP)', () => {
  let mailbox: Mailbox;
  beforeAll(async () => {
    mailbox = await Mailbox.start();
  });
  afterAll(async () => {
    await mailbox?.close();
  });

  /** One API process; `worker` says whether it also runs the mail worker. */
  async function startApp(worker = true): Promise<TestApp> {
    return createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(
          // No resend cooldown: a re-invite right away queues a new email.
          mailTestConfig(mailbox, {
            MAIL_WORKER_ENABLED: String(worker),
            INVITATION_RESEND_COOLDOWN: '0',
          }),
        ),
    });
  }

  async function inviter(t: TestApp, email: string): Promise<{ member: Member; auth: string }> {
    const member = await seedMember(t.dataSource, { email, organisationName: 'Acme Rockets' });
    return { member, auth: await authHeader(member) };
  }

  const invite = async (t: TestApp, auth: string, emails: string[]) => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', auth)
      .send({ emails })
      .expect(200);
    return { body: res.body as InvitationBody[] };
  };

  const stored = async (t: TestApp, ids: string[]) =>
    t.dataSource.query<StoredInvitation[]>(
      `SELECT email, token_hash, delivery_status, delivery_error FROM invitations
        WHERE id = ANY($1) ORDER BY email`,
      [ids],
    );

  /** Every address got exactly one email, whose link's token is the one stored (by hash). */
  async function expectDeliveredOnce(t: TestApp, invitations: InvitationBody[]): Promise<void> {
    const rows = await stored(
      t,
      invitations.map((i) => i.id),
    );
    expect(rows).toHaveLength(invitations.length);
    for (const row of rows) {
      const emails = mailbox.messagesTo(row.email);
      expect(emails).toHaveLength(1);
      expect(row.delivery_status).toBe('sent');
      expect(row.token_hash).toBe(tokenHashIn(emails[0]));
    }
  }

  describe('with the worker in the API process', () => {
    let t: TestApp;
    let auth: string;
    beforeAll(async () => {
      t = await startApp();
      ({ auth } = await inviter(t, 'owner@acme.test'));
    });
    afterAll(async () => {
      await t?.close();
    });
    afterEach(async () => {
      mailbox.delayMs = 0;
      await mailbox.up();
      await waitForMailQueueIdle(t.dataSource);
    });

    it('inviting 10 people delivers 10 emails, each with both parts and a working link', async () => {
      const emails = Array.from({ length: 10 }, (_, i) => `person${i}@example.com`);
      const { body } = await invite(t, auth, emails);

      const received: ReceivedEmail[] = [];
      for (const email of emails) received.push(await mailbox.waitFor(email));
      await waitForMailQueueIdle(t.dataSource);
      await expectDeliveredOnce(t, body);
      for (const [i, email] of received.entries()) {
        expect(email.to).toEqual([emails[i]]);
        expect(email.text).toContain('owner@acme.test has invited you to join Acme Rockets');
        expect(email.html).toContain('<strong>Acme Rockets</strong>');
        expect(acceptLinkIn(email).url.pathname).toBe('/invitations/accept');
      }

      // The link's token is the credential the accept endpoint takes.
      const accepted = await request(t.server)
        .post('/api/invitations/accept')
        .send({ token: acceptLinkIn(received[3]).token })
        .expect(200);
      expect(accepted.body).toMatchObject({ id: body[3].id, status: 'accepted' });
    });

    it('with the SMTP peer down, invites still succeed; when it is back each email arrives once', async () => {
      await mailbox.down();
      const first = await invite(t, auth, ['outage1@example.com', 'outage2@example.com']);
      const second = await invite(t, auth, ['outage3@example.com']);
      const invitations = [...first.body, ...second.body];

      // The worker is trying and failing meanwhile, and says so on each invitation.
      await until(async () =>
        (
          await stored(
            t,
            invitations.map((i) => i.id),
          )
        ).every((row) => row.delivery_status === 'queued' && row.delivery_error !== null),
      );

      await mailbox.up();
      for (const { email } of invitations) await mailbox.waitFor(email, { timeout: 15_000 });
      await waitForMailQueueIdle(t.dataSource);
      await expectDeliveredOnce(t, invitations);
    });

    it('with a peer that takes 500 ms per message, the invite request does not wait for it', async () => {
      await invite(t, auth, ['warm1@example.com', 'warm2@example.com']);
      await mailbox.waitFor('warm2@example.com');

      mailbox.delayMs = 500;
      const emails = ['slow1@example.com', 'slow2@example.com', 'slow3@example.com'];
      const slow = await invite(t, auth, emails);
      // Nothing has been accepted by the peer when the response is back: it did not wait.
      expect(emails.flatMap((email) => mailbox.messagesTo(email))).toEqual([]);

      for (const email of emails) await mailbox.waitFor(email);
      await waitForMailQueueIdle(t.dataSource);
      await expectDeliveredOnce(t, slow.body);
    });

    it('a re-invite mails a new link that works, and the old link no longer does', async () => {
      const { body } = await invite(t, auth, ['reinvite@example.com']);
      const first = await mailbox.waitFor('reinvite@example.com');
      await waitForMailQueueIdle(t.dataSource);

      const again = await invite(t, auth, ['reinvite@example.com']);
      expect(again.body[0].id).toBe(body[0].id);
      const second = await mailbox.waitFor('reinvite@example.com', { count: 2 });
      await waitForMailQueueIdle(t.dataSource);

      const accept = (email: ReceivedEmail) =>
        request(t.server)
          .post('/api/invitations/accept')
          .send({ token: acceptLinkIn(email).token });
      await accept(first).expect(404);
      await accept(second).expect(200);
      expect(mailbox.messagesTo('reinvite@example.com')).toHaveLength(2);
    });
  });

  describe('with the worker in another process', () => {
    it('an invitation revoked before its email went out is never mailed', async () => {
      // The API process does not send; the worker process starts only after the revoke.
      const api = await startApp(false);
      let worker: TestApp | undefined;
      try {
        const { auth } = await inviter(api, 'owner@acme.test');
        const { body } = await invite(api, auth, ['revoked@example.com', 'kept@example.com']);
        await request(api.server)
          .delete(`/api/users/${body[0].userId}/invitation`)
          .set('Authorization', auth)
          .expect(200);

        worker = await startApp(true); // same database: createTestApp reuses this file's
        await mailbox.waitFor('kept@example.com');
        await waitForMailQueueIdle(worker.dataSource);
        expect(mailbox.messagesTo('revoked@example.com')).toEqual([]);
        const [revoked] = await stored(api, [body[0].id]);
        expect(revoked).toMatchObject({ token_hash: null });
      } finally {
        await worker?.app.close();
        await api.close();
      }
    });
  });

  describe('with INVITATION_ACCEPT_URL (a frontend of your own serves the page)', () => {
    it('the email links to that frontend, and its token accepts through the JSON endpoint', async () => {
      const t = await createTestApp({
        override: (b) =>
          b.overrideProvider(AppConfig).useValue(
            mailTestConfig(mailbox, {
              INVITATION_ACCEPT_URL: 'https://app.example.com/join/{token}?from=email',
            }),
          ),
      });
      try {
        const { auth } = await inviter(t, 'owner@acme.test');
        const { body } = await invite(t, auth, ['frontend@example.com']);
        const email = await mailbox.waitFor('frontend@example.com');
        const link = /https:\/\/app\.example\.com\/join\/([A-Za-z0-9_-]+)\?from=email/.exec(
          email.text,
        );
        expect(link).not.toBeNull();
        // Handlebars writes `=` in the href as `&#x3D;`, which HTML reads back as `=`.
        expect(email.html.replaceAll('&#x3D;', '=')).toContain(`href="${link![0]}"`);
        expect(email.text).not.toContain('/invitations/accept');

        const accepted = await request(t.server)
          .post('/api/invitations/accept')
          .send({ token: link![1] })
          .expect(200);
        expect(accepted.body).toMatchObject({ id: body[0].id, status: 'accepted' });
      } finally {
        await t.close();
      }
    });
  });
});
