import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import { memberTypeOf, mintToken, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { configWith } from './kit/config.js';
import { acceptLinkIn, type ReceivedEmail } from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const DAY = 24 * 3600 * 1000;

/** The page the invitation email links to, as a browser without JavaScript uses it. */
describe('GET/POST /invitations/accept (the page behind the emailed link)', () => {
  let t: TestApp;
  let owner: Member;
  const clock = new TestClock();

  beforeAll(async () => {
    t = await createTestApp({ mailbox: true, clock });
    owner = await seedMember(t.dataSource, { email: 'owner@page.test', type: 'owner' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function invite(
    email: string,
  ): Promise<{ email: ReceivedEmail; path: string; token: string; userId: string }> {
    const res = await request(t.server)
      .post('/api/users')
      .set('Authorization', `Internal ${await mintToken(owner)}`)
      .send({ emails: [email] })
      .expect(200);
    const received = await t.mailbox!.waitFor(email);
    const { url, token } = acceptLinkIn(received);
    return {
      email: received,
      path: `${url.pathname}${url.search}`,
      token,
      userId: (res.body as { userId: string }[])[0].userId,
    };
  }

  const submit = (token: string) =>
    request(t.server)
      .post('/invitations/accept')
      .type('form')
      .send({ token })
      .expect(200)
      .expect('Content-Type', /text\/html/);

  const memberType = (email: string) => memberTypeOf(t.dataSource, email);

  it('shows the organisation, the inviter and the expiry, with headers that keep the token in', async () => {
    const { email, path, token } = await invite('page.one@example.com');
    // The email names an inviter without a name by address, and says when the link expires.
    expect(email.text).toMatch(/^owner@page\.test has invited you to join/);
    expect(email.text).toMatch(
      /This link expires on \d+ \w+ \d{4} at \d\d:\d\d UTC \(in 7 days\)\./,
    );

    const page = await request(t.server).get(path).expect(200);

    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.headers['content-security-policy']).not.toMatch(/unsafe-inline|script-src/);
    expect(page.text).toContain('owner@page.test');
    expect(page.text).toMatch(/Expires<\/dt><dd>[^<]+ UTC \(in 7 days\)</);
    expect(page.text).toMatch(/<button type="submit">Accept invitation<\/button>/);
    // The token travels only in the form, never in text the page shows.
    expect(page.text.split(token)).toHaveLength(2);
    expect(page.text).toContain(`name="token" value="${token}"`);
  });

  it('names an inviter whose name is known by it, with the address beside, in the email and on the page', async () => {
    const named = await seedMember(t.dataSource, {
      email: 'ada@page.test',
      organisationId: owner.organisationId,
      type: 'admin',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    await request(t.server)
      .post('/api/users')
      .set('Authorization', `Internal ${await mintToken(named)}`)
      .send({ emails: ['page.named@example.com'] })
      .expect(200);
    const email = await t.mailbox!.waitFor('page.named@example.com');
    expect(email.text).toMatch(/^Ada Lovelace \(ada@page\.test\) has invited you/);
    expect(email.html).toContain('<strong>Ada Lovelace</strong> (ada@page.test) has invited you');

    const { url } = acceptLinkIn(email);
    const page = await request(t.server).get(`${url.pathname}${url.search}`).expect(200);
    expect(page.text).toContain('<dt>Invited by</dt><dd>Ada Lovelace (ada@page.test)</dd>');
  });

  it('accepts with the form, makes the invitee a member, and says so; a second use is "already used"', async () => {
    const { token } = await invite('page.two@example.com');
    expect(await memberType('page.two@example.com')).toBe('invited');

    expect((await submit(token)).text).toContain('You are now a member of');
    expect(await memberType('page.two@example.com')).toBe('member');

    expect((await submit(token)).text).toContain('already been used');
    expect((await request(t.server).get(`/invitations/accept?token=${token}`)).text).toContain(
      'already been used',
    );
  });

  it('says an expired link has expired, on the page and on accept, and changes nothing', async () => {
    const { path, token } = await invite('page.three@example.com');
    clock.advance(8 * DAY);
    try {
      expect((await request(t.server).get(path).expect(200)).text).toContain('has expired');
      expect((await submit(token)).text).toContain('has expired');
      expect(await memberType('page.three@example.com')).toBe('invited');
    } finally {
      clock.advance(-8 * DAY);
    }
  });

  it('calls an unknown, malformed or missing token not valid, without echoing it', async () => {
    for (const query of [
      '?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '?token=%3Cb%3E',
      '',
    ]) {
      const page = await request(t.server).get(`/invitations/accept${query}`).expect(200);
      expect(page.text).toContain('not valid');
      expect(page.text).not.toContain('AAAAAAAAAAAAAAAA');
      expect(page.text).not.toContain('<b>');
    }
    expect((await submit('x'.repeat(43))).text).toContain('not valid');
  });

  it('says a revoked link is not valid and may have been revoked, and changes nothing', async () => {
    const { path, token, userId } = await invite('page.revoked@example.com');
    await request(t.server)
      .delete(`/api/users/${userId}/invitation`)
      .set('Authorization', `Internal ${await mintToken(owner)}`)
      .expect(200);
    for (const page of [await request(t.server).get(path).expect(200), await submit(token)]) {
      expect(page.text).toContain('<title>Invitation not valid</title>');
      expect(page.text).toContain('It may have been revoked');
      expect(page.text).not.toContain(token);
    }
    expect(await memberType('page.revoked@example.com')).toBeUndefined();
  });

  it('never echoes a token, or a near-token, in an error body of the JSON endpoint', async () => {
    const secret = `SECRET${'k'.repeat(37)}`; // 43 characters, as a real token
    const answers = await Promise.all(
      [
        { token: secret },
        { token: `${secret}!` },
        { token: [secret] },
        { token: secret, extra: secret },
      ].map((body) => request(t.server).post('/api/invitations/accept').send(body)),
    );
    answers.push(
      await request(t.server)
        .post('/api/invitations/accept')
        .set('Content-Type', 'application/json')
        .send(`{"token":"${secret}"`),
      await request(t.server).get(`/api/invitations/accept?token=${secret}`),
      await request(t.server).get(`/invitations/acept?token=${secret}&x=1`),
    );
    for (const res of answers) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toContain('SECRETkkk');
    }
  });

  it('answers too many attempts with a page saying when to try again, not with JSON', async () => {
    // A second app on this database whose accept limit is 2 a minute; the file's last test.
    const strict = await createTestApp({
      override: (b) =>
        b.overrideProvider(AppConfig).useValue(configWith({ RATE_LIMIT_ACCEPT_PER_MINUTE: '2' })),
    });
    try {
      let res: request.Response | undefined;
      for (let i = 0; i < 4 && res?.status !== 429; i++) {
        res = await request(strict.server)
          .post('/invitations/accept')
          .type('form')
          .send({ token: 'y'.repeat(43) });
      }
      expect(res!.status).toBe(429);
      expect(res!.headers['content-type']).toMatch(/^text\/html/);
      expect(res!.headers['cache-control']).toBe('no-store');
      expect(res!.headers['content-security-policy']).toMatch(/default-src 'none'/);
      const seconds = Number(res!.headers['retry-after']);
      expect(seconds).toBeGreaterThan(0);
      expect(res!.text).toContain('<title>Too many attempts</title>');
      expect(res!.text).toContain(`Wait ${seconds} seconds, then open the link`);
    } finally {
      await strict.close();
    }
  });
});
