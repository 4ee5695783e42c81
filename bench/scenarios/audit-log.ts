import {
  authorization,
  fmt,
  log,
  start,
  stop,
  type BenchContext,
  type ScenarioOutcome,
} from '../lib/context.js';
import { runLoad } from '../lib/load.js';
import { sleep } from '../lib/processes.js';
import { queryValue, seedOwner, withClient, type Owner } from '../lib/postgres.js';

/** How far above its resting RSS the service may go while exporting everything (issue 28). */
const EXPORT_RSS_BUDGET_MB = 50;

/**
 * Scenario 7: the audit log of one organisation at 10 000 and then 1 000 000 entries.
 * - GET /api/audit-logs, the first page with its exact total, 10 connections: p99 at the large
 *   size ÷ p99 at the small one, and no sequential scan of audit_log while listing.
 * - GET /api/audit-logs/export of every entry of the large organisation, read to its end: the
 *   service's peak RSS during the export (kernel high-water mark, reset first, else sampled)
 *   above its resting RSS (after the listing load, idle).
 */
export async function auditLogAtScale(ctx: BenchContext): Promise<ScenarioOutcome> {
  const db = await ctx.pg.createDatabase('audit');
  const owner = await seedOwner(db);
  const headers = { authorization: await authorization(ctx.secret, owner) };
  const seqScans = () =>
    queryValue<number>(
      db,
      `SELECT seq_scan::int FROM pg_stat_user_tables WHERE relname = 'audit_log'`,
    );
  const measured = [];
  let seeded = 0;
  let exported: { restingMb: number; peakMb: number; rows: number; seconds: number } | undefined;
  const sizes = ctx.profile.listingSizes;
  for (const size of sizes) {
    await seed(db, owner, seeded + 1, size);
    seeded = size;
    const scansBefore = await seqScans();
    const service = await start(ctx, `audit-${fmt.size(size)}`, db);
    try {
      const first = await runLoad({
        url: service.url,
        method: 'GET',
        path: '/api/audit-logs',
        headers,
        connections: 10,
        warmupSeconds: ctx.profile.listingSeconds,
        durationSeconds: ctx.profile.listingSeconds,
      });
      log(`  audit log ${fmt.size(size)}: p99 first page ${fmt.ms(first.p99)}`);
      const scans = (await seqScans()) - scansBefore;
      measured.push({ size, first, seqScans: scans });
      if (size === sizes[sizes.length - 1]) {
        exported = await exportAll(service.process, service.url, headers);
        log(
          `  export of ${exported.rows} entries in ${exported.seconds.toFixed(1)} s: RSS ` +
            `${fmt.mb(exported.restingMb)} resting, ${fmt.mb(exported.peakMb)} peak`,
        );
      }
    } finally {
      await stop(ctx, service.process);
    }
  }
  const [small, large] = measured;
  const ratio = large.first.p99 / small.first.p99;
  const growth = exported!.peakMb - exported!.restingMb;
  return {
    rows: [
      {
        scenario: '7 audit log at scale',
        measure: `first page p99, ${fmt.size(large.size)} vs ${fmt.size(small.size)}`,
        service: `${fmt.ms(large.first.p99)} vs ${fmt.ms(small.first.p99)}`,
        ratio: fmt.ratio(ratio, 2),
        target: '≤ 2',
        met: ratio <= 2,
      },
      {
        measure: `sequential scans of audit_log at ${fmt.size(large.size)}`,
        service: String(large.seqScans),
        target: '0',
        met: large.seqScans === 0,
      },
      {
        measure: `export of ${fmt.size(exported!.rows)} entries: peak RSS above resting`,
        service: `${fmt.mb(growth)} (${fmt.mb(exported!.restingMb)} → ${fmt.mb(exported!.peakMb)})`,
        target: `≤ ${EXPORT_RSS_BUDGET_MB} MB`,
        met: growth <= EXPORT_RSS_BUDGET_MB,
      },
    ],
  };
}

/** Reads the whole export, discarding it, while watching the service's resident set. */
async function exportAll(
  service: Parameters<typeof stop>[1],
  url: string,
  headers: Record<string, string>,
): Promise<{ restingMb: number; peakMb: number; rows: number; seconds: number }> {
  await sleep(2000);
  const restingMb = service.rssMb() ?? NaN;
  const exact = service.resetPeakRss();
  let sampledMb = restingMb;
  const sampler = setInterval(() => {
    sampledMb = Math.max(sampledMb, service.rssMb() ?? 0);
  }, 20);
  const started = performance.now();
  let lines = 0;
  try {
    const response = await fetch(`${url}/api/audit-logs/export`, { headers });
    if (response.status !== 200) throw new Error(`export answered ${response.status}`);
    for await (const chunk of response.body! as AsyncIterable<Uint8Array>) {
      for (const byte of chunk) if (byte === 10) lines++;
    }
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  const peakMb = Math.max(sampledMb, exact ? (service.peakRssMb() ?? 0) : 0);
  // The header is one line; the seeded entries hold no line breaks.
  return { restingMb, peakMb, rows: lines - 1, seconds };
}

/** Entries `from`..`to` of the owner's organisation in one statement, in a mix of actions. */
async function seed(db: string, owner: Owner, from: number, to: number): Promise<void> {
  await withClient(db, async (c) => {
    await c.query(
      `INSERT INTO audit_log (organisation_id, actor_id, type, action, ref_id, data, ip_address,
                              user_agent, request_id, created_at)
       SELECT $1, $2, 'user',
              (ARRAY['invitation.created', 'invitation.resent', 'invitation.accepted'])[g % 3 + 1],
              gen_random_uuid(),
              jsonb_build_object('email', 'listed-' || g || '@bench.test',
                                 'invitationId', gen_random_uuid()),
              '192.0.2.' || g % 250, 'Mozilla/5.0 (X11; Linux x86_64) bench/' || g,
              gen_random_uuid()::text, now() - g * interval '1 second'
         FROM generate_series($3::int, $4::int) AS g`,
      [owner.organisationId, owner.userId, from, to],
    );
    await c.query('VACUUM ANALYZE audit_log');
  });
}
