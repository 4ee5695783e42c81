import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** Raw HTTP, for requests supertest would tidy up. */
function raw(
  url: string,
  options: { method: string; path: string; headers: Record<string, string>; body?: Buffer },
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('malformed requests', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  beforeAll(async () => {
    t = await createTestApp();
    owner = await seedMember(t.dataSource, { email: 'owner@malformed.test' });
    auth = await authHeader(owner);
  });
  afterAll(async () => {
    await t?.close();
  });

  const expectProblem = (status: number, actual: number, contentType: unknown, body: string) => {
    expect(actual).toBe(status);
    expect(String(contentType)).toMatch(/application\/problem\+json/);
    const parsed = JSON.parse(body) as { status: number; detail: string };
    expect(parsed.status).toBe(status);
    expect(parsed.detail.length).toBeGreaterThan(5);
  };

  it('refuses a gzip bomb by its inflated size (413)', async () => {
    const bomb = gzipSync(
      Buffer.from(JSON.stringify({ emails: ['a@example.com'], pad: ' '.repeat(5_000_000) })),
    );
    expect(bomb.length).toBeLessThan(16 * 1024);
    const res = await raw(t.url, {
      method: 'POST',
      path: '/api/users',
      headers: {
        Authorization: auth,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Content-Length': String(bomb.length),
      },
      body: bomb,
    });
    expectProblem(413, res.status, res.headers['content-type'], res.body);
  });

  it('accepts a small gzip body', async () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ emails: ['zipped@example.com'] })));
    const res = await raw(t.url, {
      method: 'POST',
      path: '/api/users',
      headers: {
        Authorization: auth,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
        'Content-Length': String(body.length),
      },
      body,
    });
    expect(res.status).toBe(200);
  });

  it('refuses an unknown content encoding with 415', async () => {
    const res = await raw(t.url, {
      method: 'POST',
      path: '/api/users',
      headers: {
        Authorization: auth,
        'Content-Type': 'application/json',
        'Content-Encoding': 'compress',
        'Content-Length': '2',
      },
      body: Buffer.from('{}'),
    });
    expectProblem(415, res.status, res.headers['content-type'], res.body);
  });

  it('answers headers over 16 KiB with 431 problem+json, and keeps serving', async () => {
    const res = await raw(t.url, {
      method: 'GET',
      path: '/api/invitations',
      headers: { Authorization: auth, 'X-Padding': 'x'.repeat(20_000) },
    });
    expectProblem(431, res.status, res.headers['content-type'], res.body);
    await request(t.server).get('/api/health/live').expect(200);
  });

  it('answers a very long Authorization value with 401, not a crash', async () => {
    const res = await request(t.server)
      .get('/api/invitations')
      .set('Authorization', `Internal ${'a'.repeat(8000)}.b.c`);
    expect(res.status).toBe(401);
  });

  it.each([
    ['a NUL byte inside JSON', 400, '{"emails": ["a\\u0000@example.com"]}'],
    ['a unicode look-alike domain', 200, '{"emails": ["user@exаmple.com"]}'],
    ['an IDN domain', 200, '{"emails": ["user@bücher.example"]}'],
    ['a non-ASCII local part', 400, '{"emails": ["üser@example.com"]}'],
    ['a quoted local part', 400, '{"emails": ["\\"john doe\\"@example.com"]}'],
    ['a comment', 400, '{"emails": ["john(comment)@example.com"]}'],
    ['a display name', 400, '{"emails": ["John <john@example.com>"]}'],
    ['an IP literal', 400, '{"emails": ["john@[127.0.0.1]"]}'],
    ['trailing garbage after JSON', 400, '{"emails": ["a@example.com"]} x'],
    ['a JSON string body', 400, '"a@example.com"'],
    ['a deeply nested body', 400, `${'['.repeat(5000)}${']'.repeat(5000)}`],
  ])('%s → %d', async (_name, status, body) => {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', auth)
      .set('Content-Type', 'application/json')
      .send(body);
    expect(res.status).toBe(status);
    if (status >= 400) expect(res.headers['content-type']).toMatch(/problem\+json/);
  });
});

describe('a database that stops answering', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { DATABASE_STATEMENT_TIMEOUT: '500ms' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 with Retry-After once DATABASE_STATEMENT_TIMEOUT runs out, not a hang', async () => {
    const owner = await seedMember(t.dataSource, { email: 'owner@stuck.test' });
    await seedMember(t.dataSource, {
      email: 'held@stuck.test',
      organisationName: 'Elsewhere',
    });
    // Another session holds the user's row: the invite's upsert waits for it, as it would for a
    // stuck database.
    const blocker = t.dataSource.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`SELECT id FROM users WHERE email = 'held@stuck.test' FOR UPDATE`);
    try {
      const started = Date.now();
      const res = await request(t.server)
        .post('/api/users')
        .set('Authorization', await authHeader(owner))
        .send({ emails: ['held@stuck.test'] });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.headers['content-type']).toMatch(/problem\+json/);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await blocker.rollbackTransaction();
      await blocker.release();
    }
    // And the service is fine once the database answers again.
    await request(t.server)
      .post('/api/users')
      .set('Authorization', await authHeader(owner))
      .send({ emails: ['held@stuck.test'] })
      .expect(200);
  });
});
