import request from 'supertest';
import { authHeader, seedMember, type Member } from './kit/auth.js';
import { TestClock } from './kit/clock.js';
import { deliveredToken } from './kit/mailbox.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

const DAY = 24 * 3600 * 1000;
const START = new Date(Math.floor(Date.now() / 1000) * 1000);

/**
 * listInvitations' total without search is read from invitation_counts, which triggers on
 * invitations keep: through every write the service makes it must equal a real count.
 */
describe('listInvitations total kept by the database', () => {
  let t: TestApp;
  let owner: Member;
  let auth: string;
  const clock = new TestClock(START);

  beforeAll(async () => {
    t = await createTestApp({ clock, mailbox: true });
    owner = await seedMember(t.dataSource, {
      email: 'owner@counts.test',
      organisationName: 'Counts Org',
    });
    auth = await authHeader(owner, { expiresIn: (60 * DAY) / 1000 });
  });
  afterAll(async () => {
    await t?.close();
  });

  const http = () => request(t.server);
  const invite = async (emails: string[]) =>
    (await http().post('/api/users').set('Authorization', auth).send({ emails }).expect(200))
      .body as { id: string; userId: string; email: string }[];

  /** The listed totals (all, pending, accepted) and the same counted from invitations. */
  const totals = async () => {
    const total = async (status?: string) =>
      (
        await http()
          .get('/api/invitations')
          .query(status ? { status } : {})
          .set('Authorization', auth)
          .expect(200)
      ).body.paginate.total as number;
    const [counted] = await t.dataSource.query<
      { all: number; pending: number; accepted: number }[]
    >(
      `SELECT count(*) FILTER (WHERE status IN ('pending', 'accepted'))::int AS all,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'accepted')::int AS accepted
         FROM invitations WHERE organisation_id = $1`,
      [owner.organisationId],
    );
    return {
      listed: {
        all: await total(),
        pending: await total('pending'),
        accepted: await total('accepted'),
      },
      counted,
    };
  };
  const expectTotals = async (expected: { all: number; pending: number; accepted: number }) => {
    const { listed, counted } = await totals();
    expect(counted).toEqual(expected);
    expect(listed).toEqual(expected);
  };

  it('stays exact through invite, re-invite, resend, accept, revoke and delete', async () => {
    await expectTotals({ all: 0, pending: 0, accepted: 0 });
    const [a, b, c] = await invite(['a@counts.test', 'b@counts.test', 'c@counts.test']);
    await expectTotals({ all: 3, pending: 3, accepted: 0 });

    // Re-inviting refreshes the pending invitation (past the cooldown): no new row, same count.
    clock.advance(DAY);
    await invite(['a@counts.test']);
    await http().post(`/api/users/${b.userId}/invitation`).set('Authorization', auth).expect(200);
    await expectTotals({ all: 3, pending: 3, accepted: 0 });

    await http()
      .post('/api/invitations/accept')
      .send({ token: await deliveredToken(t.dataSource, t.mailbox!, c) })
      .expect(200);
    await expectTotals({ all: 3, pending: 2, accepted: 1 });

    await http().delete(`/api/users/${a.userId}/invitation`).set('Authorization', auth).expect(200);
    await expectTotals({ all: 2, pending: 1, accepted: 1 });

    // A revoked address invited again is a new pending invitation.
    await invite(['a@counts.test']);
    await expectTotals({ all: 3, pending: 2, accepted: 1 });

    await t.dataSource.query(`DELETE FROM invitations WHERE id = $1`, [b.id]);
    await expectTotals({ all: 2, pending: 1, accepted: 1 });
  });

  it('stays exact through 50 concurrent invites of one organisation', async () => {
    const before = (await totals()).counted;
    const emails = Array.from({ length: 50 }, (_, i) => `parallel-${i}@counts.test`);
    await Promise.all(emails.map((email) => invite([email])));
    const after = { ...before, all: before.all + 50, pending: before.pending + 50 };
    await expectTotals(after);
  });
});
