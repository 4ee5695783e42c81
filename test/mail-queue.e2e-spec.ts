import { randomUUID } from 'node:crypto';
import {
  INVITATION_EMAIL_QUEUE,
  type InvitationEmailJob,
} from '../src/invitations/delivery/invitation-outbox.js';
import { QUEUE_SCHEMA, JobQueue, type QueuedJob } from '../src/queue/job-queue.js';

type MailJob = QueuedJob<InvitationEmailJob>;
import { createTestApp, type TestApp } from './kit/test-app.js';

describe('mail queue release', () => {
  let t: TestApp;
  let queue: JobQueue;
  beforeAll(async () => {
    // No worker: the jobs stay queued and nothing fetches but the test.
    t = await createTestApp({ env: { MAIL_WORKER_ENABLED: 'false' } });
    queue = t.app.get(JobQueue, { strict: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  const stateOf = async (id: string) =>
    (
      await t.dataSource.query<
        { state: string; retry_count: number; retry_limit: number; started_on: Date | null }[]
      >(
        `SELECT state, retry_count, retry_limit, started_on FROM ${QUEUE_SCHEMA}.job WHERE id = $1`,
        [id],
      )
    )[0];

  async function fetchOne(): Promise<MailJob> {
    const [job] = await queue.boss.fetch<InvitationEmailJob>(INVITATION_EMAIL_QUEUE, {
      includeMetadata: true,
    });
    return job;
  }

  beforeEach(async () => {
    await queue.boss.deleteAllJobs(INVITATION_EMAIL_QUEUE);
  });

  it('hands the fetched attempt back uncounted, and leaves a newer attempt alone', async () => {
    const id = randomUUID();
    await queue.boss.insert(INVITATION_EMAIL_QUEUE, [
      { id, data: { invitationId: randomUUID(), generation: 1 }, retryLimit: 2 },
    ]);
    const fetched = await fetchOne();
    expect(fetched.id).toBe(id);

    // As if this job had expired in the caller's hands and another worker had fetched it again
    // (pg-boss counts that fetch): the caller's release must leave the other worker's run alone.
    await t.dataSource.query(`UPDATE ${QUEUE_SCHEMA}.job SET retry_count = 1 WHERE id = $1`, [id]);
    await queue.release(INVITATION_EMAIL_QUEUE, [fetched], 0);
    expect(await stateOf(id)).toMatchObject({ state: 'active', retry_count: 1 });

    await t.dataSource.query(`UPDATE ${QUEUE_SCHEMA}.job SET retry_count = 0 WHERE id = $1`, [id]);
    await queue.release(INVITATION_EMAIL_QUEUE, [fetched], 0);
    expect(await stateOf(id)).toMatchObject({
      state: 'created',
      retry_count: 0,
      retry_limit: 2,
      started_on: null,
    });
    const again = await fetchOne();
    expect(again).toMatchObject({ id, retryCount: 0, retryLimit: 2, data: fetched.data });
  });

  it('gives a job released on a later attempt only the attempts it had left', async () => {
    const id = randomUUID();
    await queue.boss.insert(INVITATION_EMAIL_QUEUE, [
      { id, data: { invitationId: randomUUID(), generation: 1 }, retryLimit: 2, retryDelay: 0 },
    ]);
    await queue.boss.fail(INVITATION_EMAIL_QUEUE, await fetchOne(), { message: 'refused' });
    const second = await fetchOne();
    expect(second).toMatchObject({ id, retryCount: 1 });

    await queue.release(INVITATION_EMAIL_QUEUE, [second], 60_000);
    expect(await stateOf(id)).toMatchObject({ state: 'created', retry_count: 0, retry_limit: 1 });
    // Not fetchable before its delay ends.
    expect(await fetchOne()).toBeUndefined();
  });
});
