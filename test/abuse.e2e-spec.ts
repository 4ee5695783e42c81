import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { configWith } from './kit/config.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

describe('abuse limits', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;

  beforeAll(async () => {
    t = await createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(
          configWith({
            RATE_LIMIT_INVITATIONS_PER_HOUR: '12',
            RATE_LIMIT_REQUESTS_PER_MINUTE: '40',
          }),
        ),
    });
    owner = await seedMember(t.dataSource, { email: 'owner@abuse.test' });
    auth = await authHeader(owner);
  });
  afterAll(async () => {
    await t?.close();
  });

  const invite = (emails: string[], authorization = auth) =>
    request(t.server).post('/api/users').set('Authorization', authorization).send({ emails });

  it('limits invitations per organisation per hour, counting addresses, refunding failures', async () => {
    await invite(Array.from({ length: 10 }, (_, i) => `batch-${i}@example.com`)).expect(200);
    // A refused request (409: the owner is a member) spends nothing.
    await invite(['owner@abuse.test', 'refund@example.com']).expect(409);
    await invite(['eleven@example.com', 'twelve@example.com']).expect(200);
    const limited = await invite(['thirteen@example.com']).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['content-type']).toMatch(/problem\+json/);
    expect(limited.body.detail).toMatch(/organisation/);

    // Another organisation has its own budget.
    const other = await seedMember(t.dataSource, {
      email: 'other@abuse.test',
      organisationName: 'B',
    });
    await invite(['from-b@example.com'], await authHeader(other)).expect(200);
  });

  it('limits requests per client address, before any token is checked', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 45; i++) {
      const res = await request(t.server)
        .get('/api/invitations')
        .set('Authorization', 'Internal not.a.token');
      statuses.push(res.status);
    }
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThan(0);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);
    // Health probes are public and never limited by it.
    await request(t.server).get('/api/health/live').expect(200);
  });
});

describe('abuse limits switched off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(configWith({ RATE_LIMIT_REQUESTS_PER_MINUTE: '0' })),
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a limit of 0 neither refuses nor counts requests', async () => {
    // The budgets spent by the tests above (same database, same client address).
    await t.dataSource.query(`DELETE FROM rate_limits WHERE key LIKE 'requests:%'`);
    for (let i = 0; i < 5; i++) {
      await request(t.server)
        .get('/api/invitations')
        .set('Authorization', 'Internal not.a.token')
        .expect(401);
    }
    const counted = await t.dataSource.query(
      `SELECT key FROM rate_limits WHERE key LIKE 'requests:%'`,
    );
    expect(counted).toEqual([]);
  });
});

describe('HTTP hardening', () => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  it('sends helmet headers, no X-Powered-By, and no CORS headers by default', async () => {
    t = await createTestApp();
    const res = await request(t.server)
      .get('/api/health/live')
      .set('Origin', 'https://evil.example')
      .expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('allows configured CORS origins only', async () => {
    t = await createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(configWith({ CORS_ORIGINS: 'https://app.example' })),
    });
    const allowed = await request(t.server)
      .get('/api/health/live')
      .set('Origin', 'https://app.example')
      .expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
    const other = await request(t.server)
      .get('/api/health/live')
      .set('Origin', 'https://evil.example')
      .expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('never answers a stack trace or SQL for an internal error', async () => {
    t = await createTestApp();
    const owner = await seedMember(t.dataSource, { email: 'o@hardening.test' });
    // Break the schema under the running app: the next invite fails inside the database.
    await t.dataSource.query(`ALTER TABLE audit_log RENAME TO audit_log_gone`);
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', await authHeader(owner))
      .send({ emails: ['boom@example.com'] })
      .expect(500);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(res.body.requestId).toBe(res.headers['x-request-id']);
    expect(JSON.stringify(res.body)).not.toMatch(/audit_log|relation|SELECT|INSERT|at .*\.ts/);
    await t.dataSource.query(`ALTER TABLE audit_log_gone RENAME TO audit_log`);
  });
});
