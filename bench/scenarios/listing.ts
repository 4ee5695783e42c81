import { encodeCursor } from '../../src/common/cursor.js';
import {
  authorization,
  fmt,
  log,
  start,
  stop,
  type BenchContext,
  type Row,
  type ScenarioOutcome,
} from '../lib/context.js';
import { runLoad } from '../lib/load.js';
import { queryValue, seedOwner, withClient, type Owner } from '../lib/postgres.js';

/** The deep page starts this many rows before the end of the list. */
const DEEP_FROM_END = 100;

/**
 * Scenario 4: GET /api/invitations, the first page and a deep page (by cursor, near the end), 10
 * connections, with 10 000 and then 1 000 000 invitations in the organisation. Keyset pagination
 * should make both cost the same at any size: the p99 ratio, and no sequential scan of the
 * invitations table while the large organisation is listed (its pg_stat_user_tables counter).
 */
export async function listingAtScale(ctx: BenchContext): Promise<ScenarioOutcome> {
  const db = await ctx.pg.createDatabase('listing');
  const owner = await seedOwner(db);
  const headers = { authorization: await authorization(ctx.secret, owner) };
  const seqScans = () =>
    queryValue<number>(
      db,
      `SELECT seq_scan::int FROM pg_stat_user_tables WHERE relname = 'invitations'`,
    );
  const measured = [];
  let seeded = 0;
  for (const size of ctx.profile.listingSizes) {
    await seed(db, owner, seeded + 1, size);
    seeded = size;
    const [createdAt, id] = await queryValue<string[]>(
      db,
      `SELECT ARRAY[created_at::text, id::text] FROM invitations WHERE organisation_id = $1
        ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
      [owner.organisationId, size - DEEP_FROM_END],
    );
    const cursor = encodeCursor({ createdAt, id });
    const scansBefore = await seqScans();
    const service = await start(ctx, `listing-${fmt.size(size)}`, db);
    const load = (path: string) =>
      runLoad({
        url: service.url,
        method: 'GET',
        path,
        headers,
        connections: 10,
        warmupSeconds: ctx.profile.listingSeconds,
        durationSeconds: ctx.profile.listingSeconds,
      });
    const pages = async () => [
      await load('/api/invitations'),
      await load(`/api/invitations?cursor=${cursor}`),
    ];
    // Stopped before counting: its backends end and report their statistics.
    const [first, deep] = await pages().finally(() => stop(ctx, service.process));
    log(
      `  listing ${fmt.size(size)}: p99 first page ${fmt.ms(first.p99)}, deep page ${fmt.ms(deep.p99)}`,
    );
    measured.push({ size, first, deep, seqScans: (await seqScans()) - scansBefore });
  }
  const [small, large] = measured;
  const row = (page: 'first' | 'deep', measure: string): Row => {
    const ratio = large[page].p99 / small[page].p99;
    return {
      scenario: page === 'first' ? '4 listing at scale' : '',
      measure: `${measure} p99, ${fmt.size(large.size)} vs ${fmt.size(small.size)}`,
      service: `${fmt.ms(large[page].p99)} vs ${fmt.ms(small[page].p99)}`,
      ratio: fmt.ratio(ratio, 2),
      target: '≤ 2',
      met: ratio <= 2,
    };
  };
  return {
    rows: [
      row('first', 'first page'),
      row('deep', `deep page (row ${large.size - DEEP_FROM_END + 1})`),
      {
        measure: `sequential scans of invitations at ${fmt.size(large.size)}`,
        service: String(large.seqScans),
        target: '0',
        met: large.seqScans === 0,
      },
    ],
  };
}

/** Invitations `from`..`to` (and their users) in one statement, in a mix of states. */
async function seed(db: string, owner: Owner, from: number, to: number): Promise<void> {
  await withClient(db, async (c) => {
    // Consistent by construction: skip the foreign-key triggers where the role may (a superuser,
    // as with the embedded server); they were most of the seeding time. Elsewhere it takes longer.
    await c.query('SET session_replication_role = replica').catch(() => undefined);
    await c.query(
      `WITH u AS (
         INSERT INTO users (email, created_at)
         SELECT 'listed-' || g || '@bench.test', now() - g * interval '1 second'
           FROM generate_series($3::int, $4::int) AS g
         RETURNING id, email, created_at
       )
       INSERT INTO invitations (organisation_id, user_id, email, status, invited_by, created_at,
                                expires_at, accepted_at, revoked_at, last_sent_at, send_count,
                                delivery_status)
       SELECT $1, u.id, u.email, s.status, $2, u.created_at, u.created_at + interval '7 days',
              CASE WHEN s.status = 'accepted' THEN u.created_at + interval '1 hour' END,
              CASE WHEN s.status = 'revoked' THEN u.created_at + interval '1 hour' END,
              u.created_at, 1, 'sent'
         FROM u CROSS JOIN LATERAL (
           SELECT CASE abs(hashtext(u.email)) % 10
                    WHEN 0 THEN 'revoked' WHEN 1 THEN 'pending' WHEN 2 THEN 'pending'
                    ELSE 'accepted' END AS status) s`,
      [owner.organisationId, owner.userId, from, to],
    );
    await c.query('ANALYZE users, invitations');
  });
}
