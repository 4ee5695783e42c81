import request from 'supertest';
import { createTestApp, type TestApp } from './kit/test-app.js';
import { LOG_DESTINATION } from '../src/logging/logging.module.js';

type Line = { reqId?: string; req?: { url?: string }; res?: { statusCode?: number } };

/** The order AppModule.configure and its APP_GUARD list state, seen from outside. */
describe('the order a request passes through AppModule', () => {
  let t: TestApp;
  const written: string[] = [];
  const requestLines = () =>
    written.map((text) => JSON.parse(text) as Line).filter((line) => line.res !== undefined);

  beforeAll(async () => {
    t = await createTestApp({
      env: { LOG_LEVEL: 'info', RATE_LIMIT_REQUESTS_PER_MINUTE: '2' },
      override: (b) =>
        b
          .overrideProvider(LOG_DESTINATION)
          .useValue({ write: (line: string) => written.push(line) }),
    });
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    written.length = 0;
  });

  it('logs a body the JSON parser refuses: the request logger comes first', async () => {
    const unsupported = await request(t.server)
      .post('/api/users')
      .set('Content-Type', 'text/plain')
      .send('not json')
      .expect(415);
    const tooLarge = await request(t.server)
      .post('/api/users')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ emails: ['a'.repeat(20_000)] }))
      .expect(413);
    expect(requestLines()).toEqual([
      expect.objectContaining({
        reqId: unsupported.headers['x-request-id'],
        req: expect.objectContaining({ url: '/api/users' }),
        res: { statusCode: 415 },
      }),
      expect.objectContaining({
        reqId: tooLarge.headers['x-request-id'],
        res: { statusCode: 413 },
      }),
    ]);
  });

  it('spends the per-address limit before it looks at the token', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await request(t.server).get('/api/invitations')).status);
    }
    // Were the token checked first, the third request would be a 401 like the first two.
    expect(statuses).toEqual([401, 401, 429]);
  });
});
