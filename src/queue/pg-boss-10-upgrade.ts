import pg from 'pg';
import type { JobInsert, PgBoss } from 'pg-boss';

/**
 * The upgrade from pg-boss 10: the one place under src/ that names pg-boss tables, and only pg-boss
 * 10's. pg-boss 12 migrates a schema from version 25 (pg-boss 11) on and refuses pg-boss 10's
 * (version 24); its release notes say to move the jobs through the API. pg-boss 10 is not installed
 * at runtime, so the jobs still waiting are read from its job table and queued again through pg-boss
 * 12's own `insert`, then its schema is dropped. Nothing is created in pg-boss 12's schema here.
 */
const LEGACY_SCHEMA = 'pgboss_v10';
const LEGACY_VERSION = 24;
/** One upgrade at a time across the instances starting together. */
const UPGRADE_LOCK = "hashtext('brms-mail-queue-pgboss10-upgrade')";

async function inTransaction<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'brms-queue-upgrade' });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(${UPGRADE_LOCK})`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

/** Renames a pg-boss 10 schema out of pg-boss 12's way, so that 12 installs its own in its place. */
export async function setPgBoss10SchemaAside(url: string, schema: string): Promise<void> {
  await inTransaction(url, async (client) => {
    const { rows } = await client.query<{ present: boolean }>(
      `SELECT to_regclass($1) IS NOT NULL AS present`,
      [`${schema}.version`],
    );
    if (!rows[0].present) return;
    const { rows: versions } = await client.query<{ version: number }>(
      `SELECT version FROM ${schema}.version`,
    );
    if (versions[0]?.version !== LEGACY_VERSION) return;
    await client.query(`ALTER SCHEMA ${schema} RENAME TO ${LEGACY_SCHEMA}`);
  });
}

interface LegacyJobRow {
  id: string;
  name: string;
  data: object | null;
  priority: number;
  retry_limit: number;
  /** Attempts made: pg-boss 10 counts one when it fetches a job that has started before. */
  attempts_made: number;
  retry_delay: number;
  retry_backoff: boolean;
  start_after: Date;
  expire_in_seconds: number;
  dead_letter: string | null;
}

/**
 * Queues the jobs still waiting (or active: their worker is gone) in the pg-boss 10 schema again
 * through `boss`, with the same ids and the attempts they had left, then drops that schema, all in
 * one transaction. Returns how many jobs were carried over.
 */
export async function carryOverPgBoss10Jobs(
  url: string,
  boss: PgBoss,
  queues: string[],
): Promise<number> {
  return inTransaction(url, async (client) => {
    const { rows } = await client.query<{ present: boolean }>(
      `SELECT to_regnamespace($1) IS NOT NULL AS present`,
      [LEGACY_SCHEMA],
    );
    if (!rows[0].present) return 0;
    const { rows: jobs } = await client.query<LegacyJobRow>(
      `SELECT id, name, data, priority, retry_limit, retry_delay, retry_backoff,
              retry_count + (started_on IS NOT NULL)::int AS attempts_made,
              start_after, extract(epoch FROM expire_in)::int AS expire_in_seconds, dead_letter
         FROM ${LEGACY_SCHEMA}.job
        WHERE state IN ('created', 'retry', 'active') AND name = ANY($1)
        ORDER BY created_on`,
      [queues],
    );
    const db = { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
    for (const queue of queues) {
      const inserts: JobInsert[] = jobs
        .filter((job) => job.name === queue)
        .map((job) => ({
          id: job.id,
          data: job.data ?? {},
          priority: job.priority,
          retryLimit: Math.max(0, job.retry_limit - job.attempts_made),
          retryDelay: job.retry_delay,
          retryBackoff: job.retry_backoff,
          startAfter: job.start_after,
          expireInSeconds: job.expire_in_seconds,
          deadLetter: job.dead_letter ?? undefined,
        }));
      if (inserts.length > 0) await boss.insert(queue, inserts, { db });
    }
    await client.query(`DROP SCHEMA ${LEGACY_SCHEMA} CASCADE`);
    return jobs.length;
  });
}
