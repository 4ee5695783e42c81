import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import { hashInvitationToken, newInvitationToken } from '../src/invitations/invitation-token.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { configWith } from './kit/config.js';
import { TestClock } from './kit/clock.js';
import { expectToMatchReference, referenceResponseValidator } from './kit/contract.js';
import { acceptLinkIn, deliveredToken } from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const DAY = 24 * 3600 * 1000;
const START = new Date(Math.floor(Date.now() / 1000) * 1000);
const seedSchema = referenceResponseValidator('/api/users', 'post', '200');

describe('invitation lifecycle', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  const clock = new TestClock(START);

  beforeAll(async () => {
    // The real mail worker sends every invitation to the SMTP peer: tokens come from the emails.
    t = await createTestApp({ clock, mailbox: true });
    owner = await seedMember(t.dataSource, { email: 'owner@lifecycle.test', type: 'owner' });
    auth = await authHeader(owner, { expiresIn: (60 * DAY) / 1000 });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => clock.set(START));

  const http = () => request(t.server);
  const invite = async (email: string) =>
    (
      await http()
        .post('/api/users')
        .set('Authorization', auth)
        .send({ emails: [email] })
        .expect(200)
    ).body[0] as { id: string; userId: string; email: string };

  const deliver = (inv: { id: string; email: string }) =>
    deliveredToken(t.dataSource, t.mailbox!, inv);

  const accept = (token: string) => http().post('/api/invitations/accept').send({ token });

  describe('accept', () => {
    it('makes the invited user a member, once', async () => {
      const inv = await invite('accept-me@example.com');
      const token = await deliver(inv);
      const res = await accept(token).expect(200);
      expect(res.body).toMatchObject({ id: inv.id, status: 'accepted', userId: inv.userId });
      expectToMatchReference(seedSchema, [res.body]);
      const [member] = await t.dataSource.query(
        `SELECT type, status FROM organisation_members WHERE organisation_id = $1 AND user_id = $2`,
        [owner.organisationId, inv.userId],
      );
      expect(member).toEqual({ type: 'member', status: 'active' });
      const second = await accept(token).expect(409);
      expect(second.headers['content-type']).toMatch(/problem\+json/);
    });

    it('404 for an unknown token, 400 for something that is not a token', async () => {
      await accept(newInvitationToken().token).expect(404);
      const bad = await accept('short').expect(400);
      expect(bad.body.errors[0].path).toBe('token');
    });

    it('410 after the expiry', async () => {
      const inv = await invite('late@example.com');
      const token = await deliver(inv);
      clock.advance(7 * DAY + 1000);
      await accept(token).expect(410);
    });

    it('two parallel accepts: one 200, one 409', async () => {
      const inv = await invite('parallel@example.com');
      const token = await deliver(inv);
      const statuses = (await Promise.all([accept(token), accept(token)])).map((r) => r.status);
      expect(statuses.sort()).toEqual([200, 409]);
    });

    it('accepting later gives the user the member role, so they may not invite', async () => {
      const inv = await invite('new-member@example.com');
      await accept(await deliver(inv)).expect(200);
      const memberAuth = await authHeader({ ...owner, userId: inv.userId });
      await http()
        .post('/api/users')
        .set('Authorization', memberAuth)
        .send({ emails: ['x@example.com'] })
        .expect(403);
    });
  });

  describe('resend', () => {
    it('queues a new email, kills the old link, and extends the expiry', async () => {
      const inv = await invite('resend@example.com');
      const oldToken = await deliver(inv);
      clock.advance(DAY);
      const res = await http()
        .post(`/api/users/${inv.userId}/invitation`)
        .set('Authorization', auth)
        .expect(200);
      expectToMatchReference(seedSchema, [res.body]);
      expect(res.body).toMatchObject({
        id: inv.id,
        status: 'pending',
        expiresAt: new Date(START.getTime() + 8 * DAY).toISOString(),
      });
      // The old link died with the resend (until the worker sends, no link works at all: see
      // invite-users' refresh test); the worker may already hold the next one.
      const [row] = await t.dataSource.query(
        `SELECT send_count, token_hash FROM invitations WHERE id = $1`,
        [inv.id],
      );
      expect(row.send_count).toBe(2);
      expect(row.token_hash).not.toBe(hashInvitationToken(oldToken));
      await accept(oldToken).expect(404);
      const newToken = await deliver(inv);
      expect(newToken).not.toBe(oldToken);
      expect(t.mailbox!.messagesTo(inv.email)).toHaveLength(2);
      await accept(newToken).expect(200);
    });

    it('ignores the cooldown (an explicit resend always sends)', async () => {
      const inv = await invite('resend-now@example.com');
      await http()
        .post(`/api/users/${inv.userId}/invitation`)
        .set('Authorization', auth)
        .expect(200);
      const [row] = await t.dataSource.query(`SELECT send_count FROM invitations WHERE id = $1`, [
        inv.id,
      ]);
      expect(row.send_count).toBe(2);
    });

    it('409 once accepted, 404 for a user without an invitation, 400 for a non-UUID', async () => {
      const inv = await invite('resend-accepted@example.com');
      await accept(await deliver(inv)).expect(200);
      await http()
        .post(`/api/users/${inv.userId}/invitation`)
        .set('Authorization', auth)
        .expect(409);
      await http()
        .post(`/api/users/${owner.userId}/invitation`)
        .set('Authorization', auth)
        .expect(404);
      await http().post(`/api/users/not-a-uuid/invitation`).set('Authorization', auth).expect(400);
    });
  });

  describe('revoke', () => {
    it('revokes: 200, link dead, membership gone, second revoke 404', async () => {
      const inv = await invite('revoke@example.com');
      const token = await deliver(inv);
      await http()
        .delete(`/api/users/${inv.userId}/invitation`)
        .set('Authorization', auth)
        .expect(200);
      const [row] = await t.dataSource.query(
        `SELECT status, token_hash, revoked_at FROM invitations WHERE id = $1`,
        [inv.id],
      );
      expect(row).toMatchObject({ status: 'revoked', token_hash: null });
      expect(row.revoked_at).not.toBeNull();
      const members = await t.dataSource.query(
        `SELECT 1 FROM organisation_members WHERE organisation_id = $1 AND user_id = $2`,
        [owner.organisationId, inv.userId],
      );
      expect(members).toEqual([]);
      await accept(token).expect(404);
      await http()
        .delete(`/api/users/${inv.userId}/invitation`)
        .set('Authorization', auth)
        .expect(404);
    });

    it('the address can be invited again after a revoke', async () => {
      const first = await invite('again-after-revoke@example.com');
      await http()
        .delete(`/api/users/${first.userId}/invitation`)
        .set('Authorization', auth)
        .expect(200);
      const second = await invite('again-after-revoke@example.com');
      expect(second.id).not.toBe(first.id);
      expect(second.userId).toBe(first.userId);
    });
  });

  describe('scoping and roles', () => {
    it("another organisation's user is a 404, never a 403", async () => {
      const other = await seedMember(t.dataSource, {
        email: 'other-owner@example.com',
        organisationName: 'Other',
      });
      const otherAuth = await authHeader(other);
      const theirs = (
        await http()
          .post('/api/users')
          .set('Authorization', otherAuth)
          .send({ emails: ['theirs@example.com'] })
          .expect(200)
      ).body[0];
      await http()
        .post(`/api/users/${theirs.userId}/invitation`)
        .set('Authorization', auth)
        .expect(404);
      await http()
        .delete(`/api/users/${theirs.userId}/invitation`)
        .set('Authorization', auth)
        .expect(404);
      const mine = await http()
        .get('/api/invitations?perPage=100')
        .set('Authorization', auth)
        .expect(200);
      expect(mine.body.results.map((i: { email: string }) => i.email)).not.toContain(
        'theirs@example.com',
      );
    });

    it.each(['member', 'author'] as const)('a %s may not list, resend or revoke', async (type) => {
      const m = await seedMember(t.dataSource, {
        email: `${type}@lifecycle.test`,
        organisationId: owner.organisationId,
        type,
      });
      const a = await authHeader(m);
      await http().get('/api/invitations').set('Authorization', a).expect(403);
      await http().post(`/api/users/${m.userId}/invitation`).set('Authorization', a).expect(403);
      await http().delete(`/api/users/${m.userId}/invitation`).set('Authorization', a).expect(403);
    });
  });

  describe('audit log', () => {
    it('records each step of a life, by whom, about the invited user', async () => {
      const inv = await invite('audited@example.com');
      clock.advance(1000);
      await http()
        .post(`/api/users/${inv.userId}/invitation`)
        .set('Authorization', auth)
        .expect(200);
      clock.advance(1000);
      await accept(await deliver(inv)).expect(200);
      const rows = await t.dataSource.query(
        `SELECT type, action, actor_id AS "actorId", ref_id AS "refId", data
           FROM audit_log WHERE data ->> 'invitationId' = $1 ORDER BY created_at DESC`,
        [inv.id],
      );
      const data = { email: 'audited@example.com', invitationId: inv.id };
      expect(rows).toEqual([
        {
          type: 'user',
          action: 'invitation.accepted',
          actorId: inv.userId,
          refId: inv.userId,
          data,
        },
        {
          type: 'user',
          action: 'invitation.resent',
          actorId: owner.userId,
          refId: inv.userId,
          data,
        },
        {
          type: 'user',
          action: 'invitation.created',
          actorId: owner.userId,
          refId: inv.userId,
          data,
        },
      ]);
    });
  });
});

describe('accept rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(configWith({ RATE_LIMIT_ACCEPT_PER_MINUTE: '3' })),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 with Retry-After once a client address has used its attempts', async () => {
    const attempt = () =>
      request(t.server).post('/api/invitations/accept').send({ token: newInvitationToken().token });
    for (let i = 0; i < 3; i++) await attempt().expect(404);
    const limited = await attempt().expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe('the whole life, through a real SMTP peer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ mailbox: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('invite → email → accept with its token → listed as accepted → audited', async () => {
    const owner = await seedMember(t.dataSource, { email: 'owner@life.test' });
    const auth = await authHeader(owner);
    const [inv] = (
      await request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .send({ emails: ['Newcomer@Life.test'] })
        .expect(200)
    ).body;

    const email = await t.mailbox!.waitFor('newcomer@life.test', { timeout: 15_000 });
    const { token } = acceptLinkIn(email);
    await request(t.server).post('/api/invitations/accept').send({ token }).expect(200);

    const listed = await request(t.server)
      .get('/api/invitations')
      .query({ status: 'accepted' })
      .set('Authorization', auth)
      .expect(200);
    expect(listed.body.results).toEqual([
      expect.objectContaining({
        id: inv.id,
        status: 'accepted',
        deliveryStatus: 'sent',
        acceptedAt: expect.any(String),
      }),
    ]);

    const audit = await t.dataSource.query(
      `SELECT action FROM audit_log WHERE ref_id = $1 ORDER BY created_at DESC, action`,
      [inv.userId],
    );
    expect(audit.map((e: { action: string }) => e.action)).toEqual([
      'invitation.accepted',
      'invitation.created',
    ]);
    // The member can now use the API as a member (and, as one, may not invite).
    await request(t.server)
      .post('/api/users')
      .set('Authorization', await authHeader({ ...owner, userId: inv.userId }))
      .send({ emails: ['x@life.test'] })
      .expect(403);
  });
});
