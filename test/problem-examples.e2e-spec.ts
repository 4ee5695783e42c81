import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { configWith } from './kit/config.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

type Examples = Record<string, { value: Record<string, unknown> }>;

/** What a client sees, without the members that differ per request. */
function comparable(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).filter(([key]) => key !== 'instance' && key !== 'requestId'),
  );
}

describe('the error examples of POST /api/users are what the service answers', () => {
  let t: TestApp;
  let owner: Member;
  let examples: (status: number) => Examples;

  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, { email: 'owner@examples.test' });
    await seedMember(t.dataSource, {
      email: 'ada@example.com',
      organisationId: owner.organisationId,
      type: 'member',
    });
    const document = (await request(t.server).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const responses = document.paths['/api/users'].post.responses as Record<
      string,
      { content: { 'application/problem+json': { examples: Examples } } }
    >;
    examples = (status) => responses[String(status)].content['application/problem+json'].examples;
  });
  afterAll(async () => {
    await t?.close();
  });

  const invite = async (body: unknown, member: Member = owner) =>
    request(t.server)
      .post('/api/users')
      .set('Authorization', await authHeader(member))
      .send(body as object);

  it('400: an invalid address', async () => {
    const res = await invite({ emails: ['ok@example.com', 'not-an-address'] });
    expect(res.status).toBe(400);
    expect(comparable(res.body)).toEqual(examples(400).invalidFields.value);
  });

  it('400: a body that is not JSON', async () => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Content-Type', 'application/json')
      .send('{"emails":')
      .expect(400);
    expect(comparable(res.body)).toEqual(examples(400).malformedJson.value);
  });

  it('401: a token that does not verify', async () => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', 'Internal a.b.c')
      .send({ emails: ['new@example.com'] })
      .expect(401);
    expect(res.headers['www-authenticate']).toBe('Internal');
    expect(comparable(res.body)).toEqual(examples(401).unauthorized.value);
  });

  it('403: a role that may not invite', async () => {
    const member = await seedMember(t.dataSource, {
      email: 'plain@examples.test',
      organisationId: owner.organisationId,
      type: 'member',
    });
    const res = await invite({ emails: ['new@example.com'] }, member);
    expect(res.status).toBe(403);
    expect(comparable(res.body)).toEqual(examples(403).forbidden.value);
  });

  it('409: an address that is already a member', async () => {
    const res = await invite({ emails: ['ada@example.com'] });
    expect(res.status).toBe(409);
    expect(comparable(res.body)).toEqual(examples(409).alreadyMembers.value);
  });

  it('413: a body over the limit', async () => {
    const res = await invite({ emails: ['a@example.com'], pad: ' '.repeat(20_000) });
    expect(res.status).toBe(413);
    expect(comparable(res.body)).toEqual(examples(413).tooLarge.value);
  });

  it('415: a body that is not application/json', async () => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Content-Type', 'text/plain')
      .send('emails=a@example.com')
      .expect(415);
    expect(comparable(res.body)).toEqual(examples(415).notJson.value);
  });

  it('429: too many requests from one address, with Retry-After', async () => {
    // A second app on the same database with a small per-address limit; the run's last test.
    const limited = await createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(configWith({ RATE_LIMIT_REQUESTS_PER_MINUTE: '3' })),
    });
    try {
      let res: request.Response | undefined;
      for (let i = 0; i < 10 && res?.status !== 429; i++) {
        res = await request(limited.server)
          .post('/api/users')
          .set('Authorization', await authHeader(owner))
          .send({ emails: [`limited-${i}@example.com`] });
      }
      expect(res!.status).toBe(429);
      expect(Number(res!.headers['retry-after'])).toBeGreaterThan(0);
      // The example says "retry in 5 s"; the real wait is whatever is left of the minute.
      const example = examples(429).rateLimited.value;
      expect(comparable(res!.body)).toEqual({
        ...example,
        detail: expect.stringMatching(
          new RegExp(`^${String(example.detail).replace(/\d+/, '\\d+')}$`),
        ),
      });
    } finally {
      await limited.close();
    }
  });
});
