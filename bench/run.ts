/**
 * `npm run bench`: the service against baselines measured in the same run. Starts PostgreSQL
 * (embedded, or DATABASE_URL's server), an SMTP peer, the service as a separate process and
 * autocannon, runs five scenarios and prints one table; raw numbers go to bench/results/. Exits
 * non-zero only when a scenario could not run or mail was lost or duplicated, never for a target.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
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
import { inviteThroughput } from './scenarios/invite.js';
import { listingAtScale } from './scenarios/listing.js';
import { mailOffRequestPath } from './scenarios/mail-path.js';
import { memoryAndStartup } from './scenarios/startup.js';

const profileName = process.env.BENCH_PROFILE ?? 'quick';
if (!Object.hasOwn(PROFILES, profileName)) {
  console.error(`BENCH_PROFILE must be quick or smoke (got "${profileName}")`);
  process.exit(2);
}
const profile = PROFILES[profileName as keyof typeof PROFILES];
const only = process.env.BENCH_ONLY?.split(',').map(Number);
const resultsDir = join(DIST, '..', 'bench', 'results');
const stamp = `${new Date().toISOString().replace(/[:.]/g, '-')}-${profile.name}`;
const workDir = mkdtempSync(join(os.tmpdir(), 'brms-bench-'));
chmodSync(workDir, 0o755);
const logDir = join(resultsDir, `${stamp}-logs`);
mkdirSync(logDir, { recursive: true });

let ctx: BenchContext | undefined;
let pg: BenchPostgres | undefined;
let peer: SmtpPeer | undefined;

async function cleanUp(): Promise<void> {
  for (const proc of ctx?.processes ?? []) await proc.stop(5000);
  await pg?.stop().catch((error: unknown) => console.error(error));
  await peer?.close();
  if (pg?.tempDir) rmSync(pg.tempDir, { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping everything the bench started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  pg = await BenchPostgres.start();
  peer = await SmtpPeer.start();
  ctx = {
    profile,
    pg,
    peer,
    workDir,
    logDir,
    secret: randomBytes(32).toString('base64url'),
    processes: new Set(),
  };
  const c = ctx;
  // The service migrates the template (its tables and pg-boss's) at its first start.
  await pg.prepareTemplate(async (url) => stop(c, (await start(c, 'migrate', url)).process));
  const cpus = os.availableParallelism();
  const postgres = await queryValue<string>(pg.adminUrl, 'SHOW server_version');
  const machine = `${cpus} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB RAM, Node.js ${process.versions.node}, PostgreSQL ${postgres}`;
  log(`brms-api bench, ${profile.name} profile, ${machine}`);

  const outcomes: (ScenarioOutcome & { id: number })[] = [];
  const run = async (id: number, title: string, scenario: () => Promise<ScenarioOutcome>) => {
    if (only && !only.includes(id)) return;
    log(`Scenario ${id}: ${title}`);
    const started = performance.now();
    const outcome = await scenario().catch((error: unknown): ScenarioOutcome => {
      const message = error instanceof Error ? error.message : String(error);
      const row = { scenario: `${id} ${title}`, measure: 'could not run', met: false };
      return { rows: [{ ...row, service: message.slice(0, 80) }], error: message };
    });
    log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    outcomes.push({ ...outcome, id });
  };
  let peakRssMb: number | undefined;
  await run(1, 'invite throughput', async () => {
    const outcome = await inviteThroughput(c);
    peakRssMb = outcome.peakRssMb;
    return outcome;
  });
  await run(2, 'mail off the request path', () => mailOffRequestPath(c));
  await run(3, 'outbox drain', () => outboxDrain(c));
  await run(4, 'listing at scale', () => listingAtScale(c));
  await run(5, 'memory and start-up', () => memoryAndStartup(c, peakRssMb));

  const errors = outcomes.filter((o) => o.error);
  console.log(
    [
      '',
      `brms-api bench, ${profile.name} profile: ${machine}`,
      `Service: node ${SERVICE_NODE_FLAGS.join(' ')} (start:prod), NODE_ENV=production, LOG_LEVEL=warn`,
      '',
      renderTable(outcomes.flatMap((o) => o.rows)),
      '',
      ...outcomes.flatMap((o) => o.notes ?? []),
      `The processes' logs: ${logDir}`,
      ...errors.map((o) => `Scenario ${o.id} failed: ${o.error}`),
    ].join('\n'),
  );
  return errors.length ? 1 : 0;
}

function renderTable(rows: Row[]): string {
  const header = ['Scenario', 'Measure', 'Service', 'Baseline', 'Ratio', 'Target', 'Met'];
  const cells = rows.map((r) => {
    const met = r.met === undefined ? '' : r.met ? 'yes' : 'NO';
    return [r.scenario, r.measure, r.service, r.baseline, r.ratio, r.target, met].map(
      (v) => v ?? '',
    );
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

let code = 1;
try {
  code = await main();
} catch (error) {
  console.error(error);
} finally {
  await cleanUp();
}
process.exit(code);
