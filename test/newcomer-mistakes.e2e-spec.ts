import request from 'supertest';
import { authHeader, mintToken, seedMember } from './kit/auth.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

interface Problem {
  type: string;
  status: number;
  detail: string;
  errors?: { path: string; message: string }[];
}

/** Mistakes a newcomer makes in the first hour (issue 29): each answer says what went wrong. */
describe('answers to common mistakes', () => {
  let t: TestApp;
  let auth: string;
  let token: string;
  beforeAll(async () => {
    t = await createTestApp();
    const owner = await seedMember(t.dataSource, { email: 'owner@mistakes.test' });
    auth = await authHeader(owner);
    token = await mintToken(owner);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('a body with the wrong emails answers exactly its own errors', () => {
    const invite = (body: unknown) =>
      request(t.server)
        .post('/api/users')
        .set('Authorization', auth)
        .send(body as object);

    it('a misspelt property: emails is required, email is not allowed, and nothing else', async () => {
      const res = await invite({ email: 'a@example.com' }).expect(400);
      expect((res.body as Problem).errors).toEqual([
        { path: 'email', message: 'email is not an allowed property' },
        { path: 'emails', message: 'is required' },
      ]);
    });

    it.each([
      ['an empty body', {}, [{ path: 'emails', message: 'is required' }]],
      ['null', { emails: null }, [{ path: 'emails', message: 'is required' }]],
      [
        'a string',
        { emails: 'a@example.com' },
        [{ path: 'emails', message: 'must be an array of email addresses' }],
      ],
      [
        'an empty list',
        { emails: [] },
        [{ path: 'emails', message: 'must contain at least 1 address' }],
      ],
      [
        '11 addresses',
        { emails: Array.from({ length: 11 }, (_, i) => `e${i}@example.com`) },
        [{ path: 'emails', message: 'must contain at most 10 addresses' }],
      ],
      [
        '11 addresses, one of them bad: both are said',
        { emails: [...Array.from({ length: 10 }, (_, i) => `e${i}@example.com`), 'nope'] },
        [
          { path: 'emails[10]', message: 'must be a valid email address' },
          { path: 'emails', message: 'must contain at most 10 addresses' },
        ],
      ],
    ])('%s', async (_, body, errors) => {
      const res = await invite(body).expect(400);
      expect((res.body as Problem).errors).toEqual(errors);
    });

    it('a body that is not an object says so without a stray leading colon', async () => {
      const res = await invite([{ emails: ['a@example.com'] }]).expect(400);
      expect((res.body as Problem).detail).toBe('the request body must be a JSON object');
    });
  });

  describe('a body with the wrong accept token answers exactly its own error', () => {
    it.each([
      ['an empty body', {}, [{ path: 'token', message: 'is required' }]],
      ['null', { token: null }, [{ path: 'token', message: 'is required' }]],
      ['a number', { token: 43 }, [{ path: 'token', message: 'must be a string' }]],
      [
        'too short',
        { token: 'abc' },
        [{ path: 'token', message: 'must be the 43-character token from the invitation link' }],
      ],
      [
        '43 characters, one not URL-safe',
        { token: `${'a'.repeat(42)}!` },
        [{ path: 'token', message: 'must be the 43-character token from the invitation link' }],
      ],
    ])('%s', async (_, body, errors) => {
      const res = await request(t.server).post('/api/invitations/accept').send(body).expect(400);
      expect((res.body as Problem).errors).toEqual(errors);
    });
  });

  describe('an Authorization header that is there but wrong is described as it came', () => {
    it.each([
      ['the scheme twice', () => `Internal Internal ${token}`, /repeats the scheme/],
      [
        'a Bearer token',
        () => `Bearer ${token}`,
        /uses the Bearer scheme; this API takes Internal/,
      ],
      ['no scheme', () => token, /has a token but no scheme/],
      ['no token', () => 'Internal', /no token after Internal/],
      ['two tokens', () => `Internal ${token} ${token}`, /one token after Internal/],
      ['not a JWT', () => 'Internal not-a-jwt', /not a JWT/],
    ])('%s', async (_, header, detail) => {
      // POST /api/users takes only the internal token (no personal access token).
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', header())
        .send({ emails: ['a@example.com'] })
        .expect(401);
      const body = res.body as Problem;
      expect(body.detail).toMatch(detail);
      expect(body.detail).not.toContain(token);
      expect(res.headers['www-authenticate']).toBe('Internal');
    });

    it('no header at all asks for one', async () => {
      const res = await request(t.server)
        .post('/api/users')
        .send({ emails: ['a@example.com'] })
        .expect(401);
      expect((res.body as Problem).detail).toBe(
        'An Authorization: Internal <token> header is required',
      );
    });
  });

  describe('no error detail echoes a query string', () => {
    it.each([
      ['an unknown route', '/invitations/acept?token=SECRET-TOKEN-123', 404],
      ['an unknown API route', '/api/nothing-here?token=SECRET-TOKEN-123&x=1', 404],
    ])('%s', async (_, path, status) => {
      const res = await request(t.server).get(path).expect(status);
      const body = res.body as Problem;
      expect(JSON.stringify(body)).not.toContain('SECRET-TOKEN-123');
      expect(body.detail).toBe(`Cannot GET ${path.split('?')[0]}`);
    });
  });
});
