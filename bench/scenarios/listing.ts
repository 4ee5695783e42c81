import type { EntityManager } from 'typeorm';
import { encodeCursor } from '../../src/common/cursor.js';
import { InvitationsRepository } from '../../src/invitations/invitations.repository.js';
import {
  authorization,
  fmt,
  startService,
  stopProcess,
  type BenchContext,
  type Row,
  type ScenarioOutcome,
} from '../lib/context.js';
import { runLoad, type LoadResult } from '../lib/load.js';
import { seedOwner, withClient } from '../lib/postgres.js';
import { log } from './invite.js';

/** `10 k`, `1 M`: the sizes as the table names them. */
function sizeLabel(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000} M` : `${size / 1000} k`;
}
const CONNECTIONS = 10;
/** The deep page starts this many rows before the end of the list. */
const DEEP_FROM_END = 100;

interface Measured {
  size: number;
  first: LoadResult;
  deep: LoadResult;
  seedSeconds: number;
}

/**
 * Scenario 4: GET /api/invitations, the first page and a deep page (by cursor, near the end of the
 * list), with 10 000 and then 1 000 000 invitations in the organisation, seeded with one
 * INSERT … SELECT generate_series each (users and invitations in one statement). Keyset pagination
 * on (organisation_id, created_at, id) should make both pages cost the same at any size; the plans
 * of the service's own statements are printed.
 */
export async function listingAtScale(ctx: BenchContext): Promise<ScenarioOutcome> {
  const db = await ctx.pg.createDatabase('listing');
  const owner = await seedOwner(db);
  const service = await startService(ctx, 'listing', db);
  const SIZES = ctx.profile.listingSizes;
  const measured: Measured[] = [];
  const notes: string[] = [];
  const plans: Record<string, string> = {};
  try {
    const headers = { authorization: await authorization(ctx.secret, owner) };
    let seeded = 0;
    for (const size of SIZES) {
      const started = performance.now();
      await seed(db, owner, seeded + 1, size);
      seeded = size;
      const seedSeconds = (performance.now() - started) / 1000;
      log(`  listing: ${size} invitations seeded in ${seedSeconds.toFixed(1)} s`);

      const cursor = await cursorAt(db, owner.organisationId, size - DEEP_FROM_END);
      const load = (path: string) =>
        runLoad({
          url: service.url,
          method: 'GET',
          path: () => path,
          headers,
          connections: CONNECTIONS,
          warmupSeconds: ctx.profile.listingWarmupSeconds,
          durationSeconds: ctx.profile.listingDurationSeconds,
        });
      const first = await load('/api/invitations');
      const deep = await load(`/api/invitations?cursor=${cursor}`);
      log(
        `  listing ${size}: first page p99 ${fmt.ms(first.p99)} (${fmt.rps(first.rps)}), deep page p99 ${fmt.ms(deep.p99)} (${fmt.rps(deep.rps)})`,
      );
      measured.push({ size, first, deep, seedSeconds });

      for (const [page, options] of [
        ['first page', {}],
        ['deep page', { cursor }],
      ] as const) {
        const plan = await explain(db, owner.organisationId, options);
        plans[`${size} ${page}`] = plan;
        if (size === SIZES[SIZES.length - 1]) {
          notes.push(`Scenario 4: EXPLAIN ANALYZE, ${page}, ${size} invitations`);
          notes.push(...plan.split('\n').map((line) => `  ${line}`));
        }
      }
    }
  } finally {
    await stopProcess(ctx, service.process);
  }

  const [small, large] = measured;
  const largePlans = Object.entries(plans).filter(([key]) => key.startsWith(String(large.size)));
  const indexOnly = largePlans.every(([, plan]) => !/Seq Scan/.test(plan) && /Index/.test(plan));
  const failed = measured.flatMap((m) => [m.first, m.deep]).filter((l) => l.non2xx || l.errors);
  const row = (page: 'first' | 'deep', label: string): Row => {
    const ratio = large[page].p99 / small[page].p99;
    return {
      scenario: page === 'first' ? '4 listing at scale' : '',
      measure: `${label} p99, ${sizeLabel(large.size)} vs ${sizeLabel(small.size)}`,
      service: `${fmt.ms(large[page].p99)} vs ${fmt.ms(small[page].p99)}`,
      baseline: '',
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
        scenario: '',
        measure: `query plans at ${sizeLabel(large.size)}`,
        service: indexOnly ? 'index scan' : 'SEQUENTIAL SCAN',
        baseline: '',
        ratio: '',
        target: 'index, no seq scan',
        met: indexOnly,
      },
    ],
    data: { measured, plans },
    notes,
    error: failed.length
      ? `listing requests failed (${failed.length} runs with non-2xx)`
      : undefined,
  };
}

/** Invitations `from`..`to` of the organisation (and their users), newest first by number. */
async function seed(
  db: string,
  owner: { organisationId: string; userId: string },
  from: number,
  to: number,
): Promise<void> {
  await withClient(db, async (c) => {
    await c.query('BEGIN');
    // Consistent by construction, so the foreign-key triggers (three lookups per invitation row)
    // are skipped where the bench's role may do so (a superuser, as with the embedded server);
    // they were most of a million rows' seeding time. Elsewhere the seed just takes longer.
    await c.query('SAVEPOINT replica');
    await c
      .query('SET LOCAL session_replication_role = replica')
      .catch(() => c.query('ROLLBACK TO SAVEPOINT replica'));
    // One statement: the users, then one invitation each, in a mix of states.
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
    await c.query('COMMIT');
    await c.query('ANALYZE users, invitations');
  });
}

async function cursorAt(db: string, organisationId: string, offset: number): Promise<string> {
  return withClient(db, async (c) => {
    const { rows } = await c.query<{ created_key: string; id: string }>(
      `SELECT created_at::text AS created_key, id FROM invitations WHERE organisation_id = $1
        ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1`,
      [organisationId, offset],
    );
    return encodeCursor({ createdAt: rows[0].created_key, id: rows[0].id });
  });
}

/**
 * EXPLAIN ANALYZE of exactly the statement the service issues: InvitationsQueryService builds it
 * and hands it to this stand-in EntityManager, which only keeps it.
 */
async function explain(
  db: string,
  organisationId: string,
  options: { cursor?: string },
): Promise<string> {
  let captured: { sql: string; params: unknown[] } | undefined;
  const capture = {
    queryRunner: {
      query: (sql: string, params: unknown[]) => {
        captured = { sql, params };
        return Promise.resolve({ records: [] });
      },
    },
  } as unknown as EntityManager;
  await new InvitationsRepository().page(capture, organisationId, options, new Date());
  const { sql, params } = captured!;
  return withClient(db, async (c) => {
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) ${sql}`,
      params,
    );
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  });
}
