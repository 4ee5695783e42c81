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
import { userSearchSql } from '../../src/users/users.repository.js';

/** The deep page GoRules' clients reach by number: page 1 000 of 10. */
const DEEP_PAGE = '/api/users?page=1000&perPage=10';

/**
 * Scenario 6: GET /api/users (listUsers), the first page with its exact `paginate.total` and page
 * 1 000 at perPage 10, 10 connections, with 10 000 and then 1 000 000 members in one organisation.
 * The total is the kept `member_counts` sum and the page walks the membership index, so both cost
 * about the same at any size. Also: no sequential scan of organisation_members while the large
 * organisation is listed, and the plan of a search, which the pg_trgm index must serve.
 */
export async function usersListingAtScale(ctx: BenchContext): Promise<ScenarioOutcome> {
  const db = await ctx.pg.createDatabase('users_listing');
  const owner = await seedOwner(db);
  const headers = { authorization: await authorization(ctx.secret, owner) };
  const seqScans = () =>
    queryValue<number>(
      db,
      `SELECT seq_scan::int FROM pg_stat_user_tables WHERE relname = 'organisation_members'`,
    );
  const measured = [];
  let seeded = 0;
  for (const size of ctx.profile.listingSizes) {
    await seed(db, owner, seeded + 1, size);
    seeded = size;
    const scansBefore = await seqScans();
    const service = await start(ctx, `users-listing-${fmt.size(size)}`, db);
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
    const pages = async () => [await load('/api/users'), await load(DEEP_PAGE)];
    // Stopped before counting: its backends end and report their statistics.
    const [first, deep] = await pages().finally(() => stop(ctx, service.process));
    log(
      `  users ${fmt.size(size)}: p99 first page ${fmt.ms(first.p99)}, page 1000 ${fmt.ms(deep.p99)}`,
    );
    measured.push({ size, first, deep, seqScans: (await seqScans()) - scansBefore });
  }
  const [small, large] = measured;
  const plan = await withClient(db, async (c) => {
    const rows = await c.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN SELECT id FROM users AS u WHERE ${userSearchSql('u')} LIKE '%member-12345%'`,
    );
    return rows.rows.map((row) => row['QUERY PLAN']).join('\n');
  });
  const searchIndexed = plan.includes('users_search_trgm_idx');
  const row = (page: 'first' | 'deep', measure: string, target: number): Row => {
    const ratio = large[page].p99 / small[page].p99;
    return {
      scenario: page === 'first' ? '6 users listing at scale' : '',
      measure: `${measure} p99, ${fmt.size(large.size)} vs ${fmt.size(small.size)}`,
      service: `${fmt.ms(large[page].p99)} vs ${fmt.ms(small[page].p99)}`,
      ratio: fmt.ratio(ratio, 2),
      target: `≤ ${target}`,
      met: ratio <= target,
    };
  };
  return {
    rows: [
      row('first', 'first page, exact total', 2),
      row('deep', 'page 1000 at perPage 10', 3),
      {
        measure: `sequential scans of organisation_members at ${fmt.size(large.size)}`,
        service: String(large.seqScans),
        target: '0',
        met: large.seqScans === 0,
      },
      {
        measure: `search plan at ${fmt.size(large.size)} uses users_search_trgm_idx`,
        service: searchIndexed ? 'yes' : 'no',
        target: 'yes',
        met: searchIndexed,
      },
    ],
    notes: [`Scenario 6 search plan at ${fmt.size(large.size)}:`, plan],
  };
}

/** Members `from`..`to` (users, named, one in a hundred a service account) in one statement. */
async function seed(db: string, owner: Owner, from: number, to: number): Promise<void> {
  await withClient(db, async (c) => {
    // Consistent by construction: skip the foreign-key triggers where the role may (a superuser,
    // as with the embedded server). The counting and is_service triggers are ENABLE ALWAYS.
    await c.query('SET session_replication_role = replica').catch(() => undefined);
    await c.query(
      `INSERT INTO users (email, first_name, last_name, is_service, created_at)
       SELECT 'member-' || g || '@bench.test', 'First' || g, 'Last' || g, g % 100 = 0,
              now() - g * interval '1 second'
         FROM generate_series($1::int, $2::int) AS g`,
      [from, to],
    );
    // A statement of its own: the membership trigger reads each user's is_service, which the
    // statement that inserts the user would not show it.
    await c.query(
      `INSERT INTO organisation_members (organisation_id, user_id, type, status, created_at,
                                         updated_at)
       SELECT $1, u.id, 'member', 'active', u.created_at, u.created_at
         FROM generate_series($2::int, $3::int) AS g
         JOIN users AS u ON u.email = 'member-' || g || '@bench.test'`,
      [owner.organisationId, from, to],
    );
    await c.query('ANALYZE users, organisation_members');
  });
}
