import request from 'supertest';
import { inviteEmailProblem } from '../src/invitations/dto/invite-email.validator.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { ajv } from './kit/contract.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

// The reference's own validator, with ajv-formats.
const isFormatEmail = ajv.compile({ type: 'string', format: 'email' });

describe('bad input (issue 23)', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, { email: 'owner@bad-input.test' });
    auth = await authHeader(owner);
  });
  afterAll(async () => {
    await t?.close();
  });

  const rows = async (like: string) =>
    Number(
      (
        await t.dataSource.query<{ n: string }[]>(
          `SELECT (SELECT count(*) FROM invitations WHERE email LIKE $1)
                + (SELECT count(*) FROM users WHERE email LIKE $1) AS n`,
          [like],
        )
      )[0].n,
    );

  describe('lone UTF-16 surrogates', () => {
    it.each([
      ['a lone high surrogate', '\ud800x@acc.test'],
      ['a lone low surrogate', 'x\udc00@acc.test'],
      ['a surrogate in the domain', 'x@a\ud800cc.test'],
    ])('answers %s in emails[1] with 400 naming the field, and writes nothing', async (_, bad) => {
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .send({ emails: ['fine@acc.test', bad] });
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect((res.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
        'emails[1]',
      ]);
      expect(await rows('%acc.test')).toBe(0);
    });

    it('answers a percent-encoded lone surrogate in a query string with 400, not 500', async () => {
      const res = await request(t.server)
        .get('/api/invitations?cursor=%ED%A0%80')
        .set('Authorization', auth);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('answers a percent-encoded lone surrogate in a path parameter with 400, not 500', async () => {
      const res = await request(t.server)
        .delete('/api/users/%ED%A0%80/invitation')
        .set('Authorization', auth);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });

    it('answers a malformed token with 401', async () => {
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', 'Internal \xed\xa0\x80.\xff')
        .send({ emails: ['token@acc.test'] });
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    });
  });

  describe('addresses that format: email accepts, both ways', () => {
    const refused = [
      '"john q"@example.com',
      '"john"@example.com',
      'john(comment)@example.com',
      'john@[192.168.0.1]',
      'jöhn@example.com',
    ];
    const accepted = ['john.q@example.com', "o'brien+tag@example.co.uk", 'a_b-c@sub.example.org'];

    it.each(refused)('refuses %s, which ajv-formats refuses too', (address) => {
      expect(isFormatEmail(address)).toBe(false);
      expect(inviteEmailProblem(address)).toBeDefined();
    });

    it.each(accepted)('accepts %s, which ajv-formats accepts too', (address) => {
      expect(isFormatEmail(address)).toBe(true);
      expect(inviteEmailProblem(address)).toBeUndefined();
    });

    it('answers a quoted local part with 400 and writes nothing', async () => {
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .send({ emails: ['"john q"@quoted.test'] });
      expect(res.status).toBe(400);
      expect((res.body as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
        'emails[0]',
      ]);
      expect(await rows('%quoted.test')).toBe(0);
    });
  });

  describe('X-Request-Id on every response', () => {
    it.each(['/docs-json', '/docs', '/docs/', '/no-such-route'])('%s carries it', async (path) => {
      const res = await request(t.server).get(path);
      expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    });

    it('a body-parser error carries it', async () => {
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .set('Content-Type', 'application/json')
        .send('{"emails": [');
      expect(res.status).toBe(400);
      expect(res.headers['x-request-id']).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
    });
  });
});
