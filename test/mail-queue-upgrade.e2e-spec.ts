import pg from 'pg';
import PgBoss10 from 'pg-boss-10';
import request from 'supertest';
import { AppConfig } from '../src/config/app-config.js';
import {
  INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  INVITATION_EMAIL_QUEUE,
  jobIdFor,
  jobOptions,
} from '../src/invitations/delivery/invitation-outbox.js';
import { QUEUE_SCHEMA } from '../src/queue/job-queue.js';
import { authHeader, seedMember } from './kit/auth.js';
import { tokenHashIn, waitForMailQueueIdle } from './kit/mailbox.js';
import { createTestApp } from './kit/test-app.js';
import { withDatabase } from './setup/test-database.js';

const databaseUrl = () =>
  withDatabase(process.env.TEST_ADMIN_DATABASE_URL!, process.env.TEST_DATABASE_NAME!);

async function query<T>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl() });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Puts the mail queue back the way the current release (pg-boss 10) keeps it: its schema, its two
 * queues, and these invitations' jobs written as its enqueue wrote them. One has failed an attempt
 * and waits for its retry.
 */
async function queueOnPgBoss10(
  config: AppConfig,
  invitations: { id: string; send_count: number }[],
): Promise<string> {
  await query(`DROP SCHEMA ${QUEUE_SCHEMA} CASCADE`);
  const boss = new PgBoss10({
    connectionString: databaseUrl(),
    schema: QUEUE_SCHEMA,
    max: 1,
    supervise: false,
    schedule: false,
  });
  await boss.start();
  await boss.createQueue(INVITATION_EMAIL_DEAD_LETTER_QUEUE, {
    name: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  });
  await boss.createQueue(INVITATION_EMAIL_QUEUE, {
    name: INVITATION_EMAIL_QUEUE,
    deadLetter: INVITATION_EMAIL_DEAD_LETTER_QUEUE,
  });
  const { retryLimit, retryDelay, retryBackoff, expireInSeconds, deadLetter } = jobOptions(config);
  await boss.insert(
    invitations.map((row) => {
      const job = { invitationId: row.id, generation: row.send_count };
      return {
        name: INVITATION_EMAIL_QUEUE,
        id: jobIdFor(job),
        data: job,
        retryLimit,
        retryDelay,
        retryBackoff,
        expireInSeconds,
        deadLetter,
      };
    }),
  );
  const [attempted] = await boss.fetch(INVITATION_EMAIL_QUEUE);
  await boss.fail(INVITATION_EMAIL_QUEUE, attempted.id, { message: 'connection refused' });
  await boss.stop({ graceful: false, close: true });
  return attempted.id;
}

describe('upgrade from a pg-boss 10 mail queue', () => {
  it('sends the invitation emails still queued in it, once each, and drops its schema', async () => {
    // The invitations are made through the API; their jobs then go back to pg-boss 10's schema.
    const before = await createTestApp({ env: { MAIL_WORKER_ENABLED: 'false' } });
    const member = await seedMember(before.dataSource, {
      email: 'owner@upgrade.test',
      organisationName: 'Upgrade Ltd',
    });
    const emails = ['ada@upgrade.test', 'bob@upgrade.test', 'cy@upgrade.test'];
    await request(before.server)
      .post('/api/users')
      .set('Authorization', await authHeader(member))
      .send({ emails })
      .expect(200);
    const config = before.app.get(AppConfig);
    await before.app.close();
    const invitations = await query<{ id: string; send_count: number }>(
      `SELECT id, send_count FROM invitations WHERE email = ANY($1)`,
      [emails],
    );
    expect(invitations).toHaveLength(3);
    const retried = await queueOnPgBoss10(config, invitations);
    expect(await query(`SELECT version FROM ${QUEUE_SCHEMA}.version`)).toEqual([{ version: 24 }]);
    expect(
      await query(
        `SELECT state, count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1
          GROUP BY state ORDER BY state`,
        [INVITATION_EMAIL_QUEUE],
      ),
    ).toEqual([
      { state: 'created', n: 2 },
      { state: 'retry', n: 1 },
    ]);

    // The new build starts on that database (same test database: `before` did not drop it).
    const t = await createTestApp({ mailbox: true });
    try {
      const mailbox = t.mailbox!;
      for (const email of emails) await mailbox.waitFor(email);
      await waitForMailQueueIdle(t.dataSource);
      const rows = await query<{ email: string; token_hash: string; delivery_status: string }>(
        `SELECT email, token_hash, delivery_status FROM invitations WHERE email = ANY($1)`,
        [emails],
      );
      for (const row of rows) {
        const received = mailbox.messagesTo(row.email);
        expect(received).toHaveLength(1);
        expect(row.delivery_status).toBe('sent');
        expect(row.token_hash).toBe(tokenHashIn(received[0]));
      }
      expect(
        await query(`SELECT 1 FROM pg_namespace WHERE nspname LIKE 'pgboss%' ORDER BY nspname`),
      ).toHaveLength(1);
      // The job that had failed once keeps only the attempts it had left.
      const [job] = await query<{ retry_limit: number }>(
        `SELECT retry_limit FROM ${QUEUE_SCHEMA}.job WHERE id = $1`,
        [retried],
      );
      expect(job.retry_limit).toBe(config.mail.maxAttempts - 2);
    } finally {
      await t.close();
    }
  });
});
