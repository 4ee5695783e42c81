import request from 'supertest';
import { authHeader, mintToken, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { expectToMatchReference, referenceResponseValidator } from './kit/contract.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const validateResponse = referenceResponseValidator('/api/users', 'post', '200');
const expectReferenceShape = (body: unknown) => expectToMatchReference(validateResponse, body);

// Tokens are minted with the real time, which the guard checks against the injected clock.
const START = new Date(Math.floor(Date.now() / 1000) * 1000);
const DAY = 24 * 3600 * 1000;

describe('POST /api/users (inviteUsers)', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  const clock = new TestClock(START);

  beforeAll(async () => {
    t = await createTestApp({ clock });
    owner = await seedMember(t.dataSource, { email: 'owner@acme.test', type: 'owner' });
    auth = await authHeader(owner);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => clock.set(START));

  const invite = (body: unknown, authorization = auth) =>
    request(t.server)
      .post('/api/users')
      .set('Authorization', authorization)
      .send(body as object);

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await t.dataSource.query<{ n: string }[]>(sql, params))[0].n);

  describe('happy path', () => {
    it('invites one address: user, invited membership, pending invitation, audit row', async () => {
      const res = await invite({ emails: ['first@example.com'] }).expect(200);
      expect(res.headers['content-type']).toMatch(/application\/json/);
      expectReferenceShape(res.body);
      expect(res.body).toHaveLength(1);
      const [inv] = res.body;
      expect(inv).toMatchObject({ email: 'first@example.com', status: 'pending' });
      expect(inv.createdAt).toBe(START.toISOString());
      expect(inv.expiresAt).toBe(new Date(START.getTime() + 7 * DAY).toISOString());
      expect(JSON.stringify(res.body)).not.toMatch(/token/i);

      const [row] = await t.dataSource.query(
        `SELECT i.*, m.type AS member_type FROM invitations i
           JOIN organisation_members m ON m.user_id = i.user_id AND m.organisation_id = i.organisation_id
          WHERE i.id = $1`,
        [inv.id],
      );
      expect(row).toMatchObject({
        organisation_id: owner.organisationId,
        user_id: inv.userId,
        email: 'first@example.com',
        status: 'pending',
        invited_by: owner.userId,
        send_count: 1,
        delivery_status: 'queued',
        member_type: 'invited',
      });
      const audit = await t.dataSource.query(
        `SELECT * FROM audit_log WHERE data ->> 'invitationId' = $1`,
        [inv.id],
      );
      expect(audit).toEqual([
        expect.objectContaining({
          action: 'invitation.created',
          actor_id: owner.userId,
          organisation_id: owner.organisationId,
          type: 'user',
          ref_id: inv.userId,
          data: { email: 'first@example.com', invitationId: inv.id },
          request_id: res.headers['x-request-id'],
        }),
      ]);
    });

    it('invites ten addresses and answers in request order', async () => {
      const emails = Array.from({ length: 10 }, (_, i) => `ten-${9 - i}@example.com`);
      const res = await invite({ emails }).expect(200);
      expectReferenceShape(res.body);
      expect(res.body.map((i: { email: string }) => i.email)).toEqual(emails);
      expect(new Set(res.body.map((i: { id: string }) => i.id)).size).toBe(10);
      expect(await count(`SELECT count(*) AS n FROM invitations WHERE email LIKE 'ten-%'`)).toBe(
        10,
      );
    });

    it('trims, lowercases and collapses duplicates, first occurrence first', async () => {
      const res = await invite({
        emails: [
          '  Mixed@Example.COM ',
          'other@example.com',
          'mixed@example.com',
          'MIXED@example.com',
        ],
      }).expect(200);
      expectReferenceShape(res.body);
      expect(res.body.map((i: { email: string }) => i.email)).toEqual([
        'mixed@example.com',
        'other@example.com',
      ]);
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = 'mixed@example.com'`)).toBe(
        1,
      );
    });

    it('accepts a user who already exists in another organisation', async () => {
      const other = await seedMember(t.dataSource, {
        email: 'elsewhere@example.com',
        organisationName: 'Other',
        type: 'owner',
      });
      const res = await invite({ emails: ['elsewhere@example.com'] }).expect(200);
      expect(res.body[0].userId).toBe(other.userId);
    });

    it('echoes an acceptable X-Request-Id and generates one otherwise', async () => {
      const given = await invite({ emails: ['rid@example.com'] })
        .set('X-Request-Id', 'abc-123')
        .expect(200);
      expect(given.headers['x-request-id']).toBe('abc-123');
      const generated = await invite({ emails: ['rid2@example.com'] })
        .set('X-Request-Id', 'bad id with spaces')
        .expect(200);
      expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('re-invite of a pending address', () => {
    it('within the cooldown returns the invitation unchanged and queues nothing', async () => {
      const first = await invite({ emails: ['again@example.com'] }).expect(200);
      clock.advance(10_000);
      const second = await invite({ emails: ['again@example.com'] }).expect(200);
      expectReferenceShape(second.body);
      expect(second.body).toEqual(first.body);
      const [row] = await t.dataSource.query(`SELECT send_count FROM invitations WHERE id = $1`, [
        first.body[0].id,
      ]);
      expect(row.send_count).toBe(1);
    });

    it('after the cooldown refreshes it: same id, new expiry, link cleared, queued again', async () => {
      const first = await invite({ emails: ['refresh@example.com'] }).expect(200);
      await t.dataSource.query(`UPDATE invitations SET token_hash = 'old-hash' WHERE id = $1`, [
        first.body[0].id,
      ]);
      clock.advance(DAY);
      const longLived = await authHeader(owner, { expiresIn: (2 * DAY) / 1000 });
      const second = await invite({ emails: ['refresh@example.com'] }, longLived).expect(200);
      expect(second.body[0].id).toBe(first.body[0].id);
      expect(second.body[0].createdAt).toBe(first.body[0].createdAt);
      expect(second.body[0].expiresAt).toBe(new Date(START.getTime() + 8 * DAY).toISOString());
      const [row] = await t.dataSource.query(
        `SELECT send_count, token_hash, delivery_status FROM invitations WHERE id = $1`,
        [first.body[0].id],
      );
      expect(row).toEqual({ send_count: 2, token_hash: null, delivery_status: 'queued' });
      const actions = await t.dataSource.query(
        `SELECT action FROM audit_log WHERE data ->> 'invitationId' = $1 ORDER BY created_at`,
        [first.body[0].id],
      );
      expect(actions.map((a: { action: string }) => a.action)).toEqual([
        'invitation.created',
        'invitation.refreshed',
      ]);
    });

    it('refreshes an expired pending invitation even within the cooldown', async () => {
      await invite({ emails: ['expired@example.com'] }).expect(200);
      await t.dataSource.query(
        `UPDATE invitations SET expires_at = $1 WHERE email = 'expired@example.com'`,
        [new Date(START.getTime() - 1000)],
      );
      const res = await invite({ emails: ['expired@example.com'] }).expect(200);
      expect(res.body[0].expiresAt).toBe(new Date(START.getTime() + 7 * DAY).toISOString());
    });
  });

  describe('members', () => {
    it('refuses the whole request with 409 listing every member address; creates nothing', async () => {
      await seedMember(t.dataSource, {
        email: 'active@example.com',
        organisationId: owner.organisationId,
        type: 'member',
      });
      await seedMember(t.dataSource, {
        email: 'disabled@example.com',
        organisationId: owner.organisationId,
        type: 'author',
        status: 'disabled',
      });
      const res = await invite({
        emails: ['brand-new@example.com', 'Disabled@example.com', 'active@example.com'],
      }).expect(409);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 409,
        emails: ['active@example.com', 'disabled@example.com'],
      });
      expect(res.body.detail).toContain('active@example.com');
      expect(res.body.detail).toContain('disabled@example.com');
      expect(
        await count(`SELECT count(*) AS n FROM users WHERE email = 'brand-new@example.com'`),
      ).toBe(0);
    });

    it('refuses the owner inviting themselves', async () => {
      await invite({ emails: ['owner@acme.test'] }).expect(409);
    });
  });

  describe('bad input', () => {
    const expectProblem = (res: request.Response, status: number, path?: string) => {
      expect(res.status).toBe(status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body).toMatchObject({
        status,
        type: expect.any(String),
        title: expect.any(String),
      });
      expect(res.body.detail).toEqual(expect.any(String));
      if (path !== undefined) {
        expect(res.body.errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ path, message: expect.any(String) })]),
        );
      }
    };

    it.each([
      [
        '11 addresses',
        { emails: Array.from({ length: 11 }, (_, i) => `e${i}@example.com`) },
        'emails',
      ],
      ['an empty list', { emails: [] }, 'emails'],
      ['a missing emails property', {}, 'emails'],
      ['a non-array', { emails: 'a@example.com' }, 'emails'],
      ['a non-string entry', { emails: ['ok@example.com', 42] }, 'emails[1]'],
      [
        'an invalid address',
        { emails: ['ok@example.com', 'x@y.com', 'not-an-email'] },
        'emails[2]',
      ],
      ['CRLF injection', { emails: ['victim@example.com\r\nBcc: all@example.com'] }, 'emails[0]'],
      ['a NUL byte', { emails: ['nul\u0000@example.com'] }, 'emails[0]'],
      [
        'an address over 254 characters',
        { emails: [`${'a'.repeat(250)}@example.com`] },
        'emails[0]',
      ],
      ['an unknown property', { emails: ['ok@example.com'], role: 'admin' }, 'role'],
      ['a null body member', { emails: null }, 'emails'],
    ])('refuses %s with 400 naming the field', async (_name, body, path) => {
      const res = await invite(body);
      expectProblem(res, 400, path);
    });

    it('names every bad index at once', async () => {
      const res = await invite({ emails: ['bad1', 'ok@example.com', 'bad2'] });
      expectProblem(res, 400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([
        'emails[0]',
        'emails[2]',
      ]);
    });

    it('refuses a JSON array body', async () => {
      expectProblem(await invite([{ emails: ['a@example.com'] }]), 400);
    });

    it('refuses malformed JSON with 400', async () => {
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send('{"emails": [');
      expectProblem(res, 400);
    });

    it('refuses a non-JSON content type with 415', async () => {
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .set('Content-Type', 'text/plain')
        .send('emails=a@example.com');
      expectProblem(res, 415);
    });

    it('refuses a body over 16 KiB with 413', async () => {
      const res = await invite({ emails: ['a@example.com'], padding: 'x'.repeat(17 * 1024) });
      expectProblem(res, 413);
    });

    it('leaves no partial writes behind', async () => {
      const before = await count(`SELECT count(*) AS n FROM invitations`);
      await invite({ emails: ['partial-ok@example.com', 'nope'] }).expect(400);
      expect(await count(`SELECT count(*) AS n FROM invitations`)).toBe(before);
    });
  });

  describe('authentication and authority', () => {
    const expectUnauthorized = async (authorization: string | undefined) => {
      const req = request(t.server).post('/api/users');
      if (authorization !== undefined) req.set('Authorization', authorization);
      const res = await req.send({ emails: ['who@example.com'] });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Internal');
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      return res;
    };

    it('401 without a header', async () => {
      await expectUnauthorized(undefined);
    });

    it('401 for another scheme', async () => {
      await expectUnauthorized(`Bearer ${await mintToken(owner)}`);
    });

    it('accepts the scheme name in any case', async () => {
      await invite({ emails: ['case@example.com'] }, `INTERNAL ${await mintToken(owner)}`).expect(
        200,
      );
    });

    it('401 for a bad signature', async () => {
      await expectUnauthorized(
        await authHeader(owner, { secret: 'another-secret-of-at-least-32-bytes!!' }),
      );
    });

    it('401 for an expired token, and an expired one says no more than "invalid or expired"', async () => {
      const res = await expectUnauthorized(await authHeader(owner, { expiresIn: -60 }));
      expect(res.body.detail).toBe('The token is invalid or expired');
    });

    it('401 for a wrong issuer', async () => {
      await expectUnauthorized(await authHeader(owner, { issuer: 'someone-else' }));
    });

    it('401 for alg none', async () => {
      const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({
        sub: owner.userId,
        org: owner.organisationId,
        iss: 'brms',
        iat: now,
        exp: now + 600,
      })}.`;
      await expectUnauthorized(`Internal ${unsigned}`);
    });

    it('401 for an unknown key id', async () => {
      await expectUnauthorized(await authHeader(owner, { kid: 'nope' }));
    });

    it('401 for a token issued in the future', async () => {
      await expectUnauthorized(await authHeader(owner, { issuedAt: 600, expiresIn: 1200 }));
    });

    it('401 for a token without org', async () => {
      await expectUnauthorized(await authHeader(owner, { claims: { org: undefined } }));
    });

    it('403 for an unknown organisation', async () => {
      const res = await invite(
        { emails: ['x@example.com'] },
        await authHeader({ ...owner, organisationId: '00000000-0000-4000-8000-000000000000' }),
      );
      expect(res.status).toBe(403);
    });

    it('403 for a user who is not a member', async () => {
      const stranger = await seedMember(t.dataSource, {
        email: 'stranger@example.com',
        organisationName: 'Elsewhere',
      });
      const res = await invite(
        { emails: ['x@example.com'] },
        await authHeader({ ...stranger, organisationId: owner.organisationId }),
      );
      expect(res.status).toBe(403);
    });

    it('403 for a disabled admin, even with a valid token', async () => {
      const admin = await seedMember(t.dataSource, {
        email: 'disabled-admin@example.com',
        organisationId: owner.organisationId,
        type: 'admin',
        status: 'disabled',
      });
      await invite({ emails: ['x@example.com'] }, await authHeader(admin)).expect(403);
    });

    it.each(['member', 'author', 'invited'] as const)('403 for type %s', async (type) => {
      const m = await seedMember(t.dataSource, {
        email: `${type}-caller@example.com`,
        organisationId: owner.organisationId,
        type,
      });
      const res = await invite({ emails: ['x@example.com'] }, await authHeader(m));
      expect(res.status).toBe(403);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('allows an admin', async () => {
      const admin = await seedMember(t.dataSource, {
        email: 'admin@example.com',
        organisationId: owner.organisationId,
        type: 'admin',
      });
      await invite({ emails: ['by-admin@example.com'] }, await authHeader(admin)).expect(200);
    });
  });

  describe('races', () => {
    it('50 parallel invites of one new address: one user, membership, invitation and email', async () => {
      const email = 'race@example.com';
      const responses = await Promise.all(
        Array.from({ length: 50 }, () => invite({ emails: [email] })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
      const ids = new Set(responses.map((r) => r.body[0].id));
      expect(ids.size).toBe(1);
      expect(await count(`SELECT count(*) AS n FROM users WHERE email = $1`, [email])).toBe(1);
      expect(
        await count(
          `SELECT count(*) AS n FROM organisation_members m JOIN users u ON u.id = m.user_id WHERE u.email = $1`,
          [email],
        ),
      ).toBe(1);
      const rows = await t.dataSource.query(`SELECT send_count FROM invitations WHERE email = $1`, [
        email,
      ]);
      expect(rows).toEqual([{ send_count: 1 }]);
      expect(
        await count(
          `SELECT count(*) AS n FROM audit_log WHERE data ->> 'email' = $1 AND action = 'invitation.created'`,
          [email],
        ),
      ).toBe(1);
    });

    it('overlapping lists in opposite orders do not deadlock', async () => {
      const a = ['ov-1@example.com', 'ov-2@example.com', 'ov-3@example.com'];
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => invite({ emails: i % 2 ? a : [...a].reverse() })),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(await count(`SELECT count(*) AS n FROM invitations WHERE email LIKE 'ov-%'`)).toBe(3);
    });
  });
});
