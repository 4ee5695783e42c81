import { authHeader, seedMember } from '../kit/auth.js';
import { waitForMailQueueIdle } from '../kit/mailbox.js';
import { createTestApp, type TestApp } from '../kit/test-app.js';
import { countOf, send } from './harness.js';
import { reportScenario } from './report.js';

const ROUNDS = Number(process.env.RELIABILITY_RACE_ROUNDS ?? 20);
const WIDTH = Number(process.env.RELIABILITY_RACE_WIDTH ?? 50);

describe(`the ${WIDTH}-way same-address race, ${ROUNDS} rounds`, () => {
  let t: TestApp;

  beforeAll(async () => {
    // The worker on: each round must end in one email, not only in one row.
    t = await createTestApp({ mailbox: true, env: { MAIL_WORKER_CONCURRENCY: '4' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('leaves exactly one pending invitation and sends one email per round', async () => {
    const owner = await seedMember(t.dataSource, { email: 'owner@race.test' });
    const authorization = await authHeader(owner, { expiresIn: 3600 });
    let requests = 0;
    let serverErrors = 0;
    const problems: string[] = [];
    const addresses: string[] = [];

    for (let round = 0; round < ROUNDS; round++) {
      const email = `race-${round}@example.com`;
      addresses.push(email);
      // Mixed case and padding: the same address however it is written.
      const spelling = (i: number) =>
        i % 3 === 0 ? email.toUpperCase() : i % 3 === 1 ? email : ` ${email} `;
      const outcomes = await Promise.all(
        Array.from({ length: WIDTH }, (_, i) =>
          send(t.url, 'POST', '/api/users', {
            headers: { authorization },
            body: { emails: [spelling(i)] },
          }),
        ),
      );
      requests += outcomes.length;
      const statuses = outcomes.map((o) => (o.ok ? o.status : o.code));
      serverErrors += statuses.filter((s) => typeof s === 'number' && s >= 500).length;
      if (!statuses.every((s) => s === 200)) {
        problems.push(`round ${round}: statuses ${[...new Set(statuses)].join(',')}`);
      }
      const ids = new Set(
        outcomes.flatMap((o) =>
          o.ok && o.status === 200 ? [(o.body as { id: string }[])[0].id] : [],
        ),
      );
      if (ids.size !== 1) problems.push(`round ${round}: ${ids.size} invitation ids answered`);
    }

    await waitForMailQueueIdle(t.dataSource, { timeout: 30_000 });
    let lost = 0;
    let duplicated = 0;
    for (const [round, email] of addresses.entries()) {
      const pending = await countOf(
        t.dataSource,
        `SELECT count(*)::int AS n FROM invitations WHERE email = $1 AND status = 'pending'`,
        [email],
      );
      const created = await countOf(
        t.dataSource,
        `SELECT count(*)::int AS n FROM audit_log WHERE data ->> 'email' = $1 AND action = 'invitation.created'`,
        [email],
      );
      const emails = t.mailbox!.messagesTo(email).length;
      if (pending !== 1) problems.push(`round ${round}: ${pending} pending invitations`);
      if (created !== 1) problems.push(`round ${round}: ${created} invitation.created audit rows`);
      if (emails === 0) lost++;
      if (emails > 1 || pending > 1) duplicated++;
    }

    reportScenario(`race ${WIDTH}x${ROUNDS}`, {
      requests,
      '5xx': serverErrors,
      lost,
      duplicated,
      emails: t.mailbox!.received.length,
    });
    expect(problems).toEqual([]);
    expect({ serverErrors, lost, duplicated }).toEqual({ serverErrors: 0, lost: 0, duplicated: 0 });
    expect(t.mailbox!.received).toHaveLength(ROUNDS);
  });
});
