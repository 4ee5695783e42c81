/**
 * `npm run bench`: the service against baselines measured in the same run (bench/README.md).
 * Exits non-zero only when a scenario could not run or mail was lost or duplicated, never for a
 * missed target.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  DIST,
  PROFILES,
  SERVICE_NODE_FLAGS,
  log,
  start,
  stop,
  type BenchContext,
  type Row,
  type ScenarioOutcome,
} from './lib/context.js';
import { BenchPostgres, queryValue } from './lib/postgres.js';
import { SmtpPeer } from './lib/smtp-peer.js';
import { outboxDrain } from './scenarios/drain.js';
import { inviteThroughput, type InviteOutcome } from './scenarios/invite.js';
import { listingAtScale } from './scenarios/listing.js';
import { mailOffRequestPath } from './scenarios/mail-path.js';
import { memoryAndStartup } from './scenarios/startup.js';
import { usersListingAtScale } from './scenarios/users-listing.js';

const profile = PROFILES[(process.env.BENCH_PROFILE ?? 'quick') as keyof typeof PROFILES];
if (!profile) throw new Error(`BENCH_PROFILE must be ${Object.keys(PROFILES).join(' or ')}`);
const only = process.env.BENCH_ONLY?.split(',').map(Number);
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const logDir = join(DIST, '..', 'bench', 'results', `${stamp}-${profile.name}-logs`);
mkdirSync(logDir, { recursive: true });
const workDir = mkdtempSync(join(os.tmpdir(), 'brms-bench-'));
chmodSync(workDir, 0o755);
const pg = await BenchPostgres.start();
const peer = await SmtpPeer.start();
const secret = randomBytes(32).toString('base64url');
const ctx: BenchContext = { profile, pg, peer, workDir, logDir, secret, processes: new Set() };

async function cleanUp(): Promise<void> {
  for (const proc of ctx.processes) await proc.stop(5000);
  await pg.stop().catch((error: unknown) => console.error(error));
  await peer.close();
  for (const dir of [pg.dir, workDir]) if (dir) rmSync(dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
}

async function main(): Promise<number> {
  // The service migrates the template (its tables and pg-boss's) at its first start.
  await pg.prepareTemplate(async (url) => stop(ctx, (await start(ctx, 'migrate', url)).process));
  const postgres = await queryValue<string>(pg.adminUrl, 'SHOW server_version');
  const gib = (os.totalmem() / 1024 ** 3).toFixed(0);
  const machine = `${os.availableParallelism()} CPUs (${os.cpus()[0]?.model}), ${gib} GiB, Node.js ${process.versions.node}, PostgreSQL ${postgres}`;
  log(`brms-api bench, ${profile.name} profile, ${machine}`);

  const outcomes: (ScenarioOutcome & { id: number })[] = [];
  const run = async (id: number, title: string, scenario: () => Promise<ScenarioOutcome>) => {
    if (only && !only.includes(id)) return;
    log(`Scenario ${id}: ${title}`);
    const outcome = await scenario().catch((error: unknown): ScenarioOutcome => {
      const message = error instanceof Error ? error.message : String(error);
      const row = { scenario: `${id} ${title}`, measure: 'could not run', met: false };
      return { rows: [{ ...row, service: message.slice(0, 80) }], error: message };
    });
    outcomes.push({ ...outcome, id });
  };
  let invite: InviteOutcome | undefined;
  await run(1, 'invite throughput', async () => (invite = await inviteThroughput(ctx)));
  await run(2, 'mail off the request path', () => mailOffRequestPath(ctx));
  await run(3, 'outbox drain', () => outboxDrain(ctx));
  await run(4, 'listing at scale', () => listingAtScale(ctx));
  await run(5, 'memory and start-up', () => memoryAndStartup(ctx, invite?.peakRssMb));
  await run(6, 'users listing at scale', () => usersListingAtScale(ctx));

  const errors = outcomes.filter((o) => o.error);
  const lines = [
    `brms-api bench, ${profile.name} profile: ${machine}`,
    `Service: node ${SERVICE_NODE_FLAGS.join(' ')} (start:prod), NODE_ENV=production, LOG_LEVEL=warn`,
    '',
    renderTable(outcomes.flatMap((o) => o.rows)),
    '',
    ...outcomes.flatMap((o) => o.notes ?? []),
    `The processes' logs: ${logDir}`,
    ...errors.map((o) => `Scenario ${o.id} failed: ${o.error}`),
  ];
  console.log(`\n${lines.join('\n')}`);
  return errors.length ? 1 : 0;
}

function renderTable(rows: Row[]): string {
  const header = ['Scenario', 'Measure', 'Service', 'Baseline', 'Ratio', 'Target', 'Met'];
  const cells = rows.map((r) => {
    const met = r.met === undefined ? '' : r.met ? 'yes' : 'NO';
    return [r.scenario, r.measure, r.service, r.baseline, r.ratio, r.target, met];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]?.length ?? 0)));
  const line = (cells: (string | undefined)[]) =>
    `| ${cells.map((v, i) => (v ?? '').padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

const code = await main().catch((error: unknown) => {
  console.error(error);
  return 1;
});
await cleanUp();
process.exit(code);
