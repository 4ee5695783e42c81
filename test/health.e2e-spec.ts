import request from 'supertest';
import { createTestApp, type TestApp } from './kit/test-app.js';

describe('health', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports liveness', async () => {
    const res = await request(t.server).get('/api/health/live').expect(200);
    expect(res.body).toMatchObject({ status: 'ok' });
  });

  it('reports readiness with the database up', async () => {
    const res = await request(t.server).get('/api/health/ready').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });
});
