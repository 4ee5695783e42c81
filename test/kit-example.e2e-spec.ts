// The example of the README's "Test kit" section, kept as a test so it cannot go stale.
import request from 'supertest';
import { mintToken, seedMember } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { acceptLinkIn } from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

describe('inviting a colleague', () => {
  let t: TestApp;
  const clock = new TestClock(); // starts now; moves only when told

  beforeAll(async () => {
    // AppModule on this file's own fresh database, a real SMTP peer, and the clock.
    t = await createTestApp({ mailbox: true, clock });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('emails a link that no longer works after 7 days', async () => {
    const owner = await seedMember(t.dataSource, { email: 'owner@acme.test', type: 'owner' });
    await request(t.server)
      .post('/api/users')
      .set('Authorization', `Internal ${await mintToken(owner)}`)
      .send({ emails: ['new@acme.test'] })
      .expect(200);

    const email = await t.mailbox!.waitFor('new@acme.test'); // fails after 10 s if none arrives
    const { token } = acceptLinkIn(email);

    clock.advance(8 * 24 * 3600 * 1000);
    await request(t.server).post('/api/invitations/accept').send({ token }).expect(410);
  });
});
