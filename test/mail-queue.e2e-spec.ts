import { randomUUID } from 'node:crypto';
import type PgBoss from 'pg-boss';
import {
  FETCH_ORDER_INDEX,
  INVITATION_EMAIL_QUEUE,
  MAIL_QUEUE_SCHEMA,
  MailQueue,
  installMailQueues,
} from '../src/mail/mail-queue.js';
import { createTestApp, type TestApp } from './kit/test-app.js';

/** The ordering step of pg-boss's fetch: a sort of every waiting job by priority, then age. */
const BACKLOG_SORT = /Sort Key: \S+\.priority DESC/;

describe('mail queue fetch', () => {
  let t: TestApp;
  let queue: MailQueue;
  beforeAll(async () => {
    // No worker: the jobs stay queued and nothing fetches but the test.
    t = await createTestApp({ env: { MAIL_WORKER_ENABLED: 'false' } });
    queue = t.app.get(MailQueue, { strict: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The plan of the statement pg-boss's fetch sends, as PostgreSQL would run it on `db`. */
  async function fetchPlan(db: PgBoss.Db): Promise<string> {
    let sent: { text: string; values: unknown[] } | undefined;
    await queue.boss.fetch(INVITATION_EMAIL_QUEUE, {
      batchSize: 25,
      includeMetadata: true,
      db: {
        executeSql: (text, values) => {
          sent = { text, values };
          return Promise.resolve({ rows: [] });
        },
      },
    });
    const { rows } = await db.executeSql(`EXPLAIN ${sent!.text}`, sent!.values);
    return (rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
  }

  it('walks the fetch-order index instead of sorting the backlog, even on stale statistics', async () => {
    // Statistics taken while the queue was empty, then a burst: what a mass invitation looks like
    // before autovacuum has looked at the table again. A plain connection then sorts everything.
    await t.dataSource.query(`ANALYZE ${MAIL_QUEUE_SCHEMA}.job`);
    await queue.boss.insert(
      Array.from({ length: 3000 }, () => ({
        name: INVITATION_EMAIL_QUEUE,
        data: { invitationId: randomUUID(), generation: 1 },
      })),
    );
    expect(await fetchPlan(queue.boss.getDb())).toMatch(BACKLOG_SORT);

    const plan = await fetchPlan(queue.fetchDb());
    expect(plan).not.toMatch(BACKLOG_SORT);
    expect(plan).toMatch(/Index Scan using \S*name_priority_created_on_id/);

    // The jobs come back oldest first, as pg-boss orders them.
    const fetched = await queue.fetch(INVITATION_EMAIL_QUEUE, 25);
    expect(fetched).toHaveLength(25);
    const [oldest] = await t.dataSource.query<{ id: string }[]>(
      `SELECT id FROM ${MAIL_QUEUE_SCHEMA}.job WHERE name = $1
        ORDER BY priority DESC, created_on, id LIMIT 1`,
      [INVITATION_EMAIL_QUEUE],
    );
    expect(fetched.map((job) => job.id)).toContain(oldest.id);
  });

  it('plans the fetch without JIT compilation', async () => {
    // enable_sort=off adds the planner's disable cost (10^10) to the plan's total on PostgreSQL
    // before 18, far above jit_above_cost: where JIT is available (Debian's PostgreSQL 15 here),
    // every fetch was compiled by LLVM first, about 250 ms each; the outbox drained at 70-100
    // messages/s against 390 on the embedded server. PostgreSQL 18 counts disabled nodes apart.
    const plan = await fetchPlan(queue.fetchDb());
    expect(plan).toMatch(/Index Scan using \S*name_priority_created_on_id/);
    expect(plan).not.toMatch(/^JIT:/m);
    const { rows } = await queue.fetchDb().executeSql(`SELECT current_setting('jit') AS jit`, []);
    expect((rows as { jit: string }[])[0].jit).toBe('off');
  });

  it('releases a job only while it is still the fetch the caller holds, counting no attempt', async () => {
    // Only this job in the queue (the test above left a backlog), so a fetch returns it.
    await t.dataSource.query(`DELETE FROM ${MAIL_QUEUE_SCHEMA}.job WHERE name = $1`, [
      INVITATION_EMAIL_QUEUE,
    ]);
    const jobId = randomUUID();
    await queue.boss.insert([
      {
        id: jobId,
        name: INVITATION_EMAIL_QUEUE,
        data: { invitationId: randomUUID(), generation: 1 },
      },
    ]);
    const stateOf = async () =>
      (
        await t.dataSource.query<{ state: string; retry_count: number; started_on: Date | null }[]>(
          `SELECT state, retry_count, started_on FROM ${MAIL_QUEUE_SCHEMA}.job WHERE id = $1`,
          [jobId],
        )
      )[0];
    // As if this job had expired in the caller's hands and another worker had fetched it again
    // (pg-boss counts that fetch): the caller's release must leave the other worker's run alone.
    await t.dataSource.query(
      `UPDATE ${MAIL_QUEUE_SCHEMA}.job SET state = 'active', started_on = now(), retry_count = 1
        WHERE id = $1`,
      [jobId],
    );
    await queue.release(INVITATION_EMAIL_QUEUE, [{ id: jobId, retryCount: 0 }], 'released', 0);
    expect(await stateOf()).toMatchObject({ state: 'active', retry_count: 1 });

    // The holder of that fetch releases it: waiting again after an earlier failure (`retry`), and
    // the next fetch does not count this attempt.
    await queue.release(INVITATION_EMAIL_QUEUE, [{ id: jobId, retryCount: 1 }], 'released', 0);
    expect(await stateOf()).toMatchObject({ state: 'retry', retry_count: 1, started_on: null });
    const fetched = await queue.fetch(INVITATION_EMAIL_QUEUE, 100);
    expect(fetched.find((job) => job.id === jobId)?.retryCount).toBe(1);
  });

  it('creates the index at start when it is missing, and the fetch sorts without it', async () => {
    await t.dataSource.query(`DROP INDEX ${MAIL_QUEUE_SCHEMA}.${FETCH_ORDER_INDEX}`);
    expect(await fetchPlan(queue.fetchDb())).toMatch(BACKLOG_SORT);

    // Every instance runs this at start, and several may start together: whichever creates the
    // index, none of them fails (the race on the catalog's unique name was seen in CI).
    for (let round = 0; round < 5; round++) {
      await t.dataSource.query(`DROP INDEX IF EXISTS ${MAIL_QUEUE_SCHEMA}.${FETCH_ORDER_INDEX}`);
      await Promise.all(Array.from({ length: 4 }, () => installMailQueues(queue.boss)));
    }
    await installMailQueues(queue.boss);
    expect(await fetchPlan(queue.fetchDb())).not.toMatch(BACKLOG_SORT);
  });
});
