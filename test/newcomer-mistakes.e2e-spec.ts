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

  it('a misspelt property: emails is required, email is not allowed, and nothing else', async () => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', auth)
      .send({ email: 'a@example.com' })
      .expect(400);
    expect((res.body as Problem).errors).toEqual([
      { path: 'email', message: 'email is not an allowed property' },
      { path: 'emails', message: 'is required' },
    ]);
  });

  it('an empty list says so once', async () => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', auth)
      .send({ emails: [] })
      .expect(400);
    expect((res.body as Problem).errors).toEqual([
      { path: 'emails', message: 'must contain at least 1 address' },
    ]);
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
      const res = await request(t.server)
        .get('/api/invitations')
        .set('Authorization', header())
        .expect(401);
      const body = res.body as Problem;
      expect(body.detail).toMatch(detail);
      expect(body.detail).not.toContain(token);
      expect(res.headers['www-authenticate']).toBe('Internal');
    });

    it('no header at all asks for one', async () => {
      const res = await request(t.server).get('/api/invitations').expect(401);
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
