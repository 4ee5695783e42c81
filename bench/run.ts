/**
 * `npm run bench`: the service against baselines measured in the same run (issue 8).
 *
 * Starts PostgreSQL (embedded in a temp directory, or DATABASE_URL's server), an SMTP peer, the
 * service as a separate process (`node dist/src/main.js`, production mode) and autocannon, then
 * runs five scenarios and prints one table; the raw numbers go to bench/results/<time>.json.
 * BENCH_PROFILE=full runs longer phases and more rounds. Exits non-zero only when a scenario could
 * not run or mail was lost or duplicated, never for a missed target.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  DIST,
  LIMITS,
  PROFILES,
  SERVICE_RUN_FLAGS,
  newSecret,
  type BenchContext,
  type Row,
  type ScenarioOutcome,
} from './lib/context.js';
import { BenchPostgres, withClient } from './lib/postgres.js';
import { SmtpPeer } from './lib/smtp-peer.js';
import { outboxDrain } from './scenarios/drain.js';
import { inviteThroughput, log, type InviteOutcome } from './scenarios/invite.js';
import { listingAtScale } from './scenarios/listing.js';
import { mailOffRequestPath } from './scenarios/mail-path.js';
import { startupTimes } from './scenarios/startup.js';

const profileName = process.env.BENCH_PROFILE ?? 'quick';
if (!Object.hasOwn(PROFILES, profileName)) {
  console.error(`BENCH_PROFILE must be quick, full or smoke (got "${profileName}")`);
  process.exit(2);
}
const profile = PROFILES[profileName as keyof typeof PROFILES];
const only = process.env.BENCH_ONLY?.split(',').map(Number);
const RESULTS_DIR = join(DIST, '..', 'bench', 'results');

const startedAt = new Date();
const stamp = `${startedAt.toISOString().replace(/[:.]/g, '-')}-${profile.name}`;
const workDir = mkdtempSync(join(os.tmpdir(), 'brms-bench-'));
chmodSync(workDir, 0o755);
const logDir = join(RESULTS_DIR, `${stamp}-logs`);
mkdirSync(logDir, { recursive: true });

let ctx: BenchContext | undefined;
let pg: BenchPostgres | undefined;
let peer: SmtpPeer | undefined;

async function cleanUp(): Promise<void> {
  for (const proc of ctx?.processes ?? []) await proc.stop(5000);
  await pg?.stop().catch((error: unknown) => console.error(error));
  await peer?.close();
  if (pg?.dataDir) rmSync(join(pg.dataDir, '..'), { recursive: true, force: true });
  rmSync(workDir, { recursive: true, force: true });
}

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything the bench started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  log(`brms-api bench, ${profile.name} profile; work files in ${workDir}`);
  pg = await BenchPostgres.start();
  await pg.prepareTemplate();
  peer = await SmtpPeer.start();
  ctx = { profile, pg, peer, workDir, logDir, secret: newSecret(), processes: new Set() };
  const machine = await describeMachine(pg);
  log(
    `${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memory}, Node.js ${machine.node}, PostgreSQL ${machine.postgres} (${pg.description})`,
  );

  const outcomes: { id: number; title: string; outcome: ScenarioOutcome }[] = [];
  const run = async (id: number, title: string, scenario: () => Promise<ScenarioOutcome>) => {
    if (only && !only.includes(id)) return undefined;
    log(`Scenario ${id}: ${title}`);
    const started = performance.now();
    let outcome: ScenarioOutcome;
    try {
      outcome = await scenario();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(`  could not run: ${message}`);
      outcome = {
        rows: [
          {
            scenario: `${id} ${title}`,
            measure: 'could not run',
            service: message.slice(0, 80),
            baseline: '',
            ratio: '',
            target: '',
            met: false,
          },
        ],
        data: { stack: error instanceof Error ? error.stack : undefined },
        notes: [],
        error: message,
      };
    }
    log(`  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    outcomes.push({ id, title, outcome });
    return outcome;
  };

  let invite: InviteOutcome | undefined;
  await run(1, 'invite throughput', async () => (invite = await inviteThroughput(ctx!)));
  await run(2, 'mail off the request path', () => mailOffRequestPath(ctx!));
  await run(3, 'outbox drain', () => outboxDrain(ctx!));
  await run(4, 'listing at scale', () => listingAtScale(ctx!));
  // Last: with the embedded server it stops PostgreSQL to time a start that includes it.
  await run(5, 'memory and start-up', () => startupTimes(ctx!, invite));

  const rows = outcomes.flatMap((o) => o.outcome.rows);
  const table = renderTable(rows);
  const notes = outcomes.flatMap((o) => o.outcome.notes);
  const errors = outcomes.filter((o) => o.outcome.error);
  const finishedAt = new Date();

  const file = join(RESULTS_DIR, `${stamp}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt,
        finishedAt,
        profile,
        machine,
        settings: {
          ...LIMITS,
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          serviceNodeFlags: SERVICE_RUN_FLAGS,
        },
        table: rows,
        scenarios: outcomes.map((o) => ({
          id: o.id,
          title: o.title,
          error: o.outcome.error,
          data: o.outcome.data,
        })),
      },
      null,
      2,
    ),
  );

  const out = [
    '',
    `brms-api bench (${profile.name}), ${startedAt.toISOString()}, ${machine.cpus} CPUs, ${machine.memory}, Node.js ${machine.node}, PostgreSQL ${machine.postgres}`,
    `Service: node ${SERVICE_RUN_FLAGS.join(' ')} (start:prod's flags${process.env.BENCH_SERVICE_NODE_ARGS ? ' + BENCH_SERVICE_NODE_ARGS' : ''}),`,
    `NODE_ENV=production LOG_LEVEL=warn; limits out of the way: RATE_LIMIT_REQUESTS_PER_MINUTE=0 (off),`,
    `RATE_LIMIT_INVITATIONS_PER_HOUR=1000000 (it cannot be off: the service and the baseline both do its upsert).`,
    '',
    table,
    '',
    ...notes,
    '',
    `Raw results: ${file}`,
    `Logs of the processes: ${logDir}`,
  ];
  if (errors.length) {
    out.push('', 'Errors:', ...errors.map((o) => `  scenario ${o.id}: ${o.outcome.error}`));
  }
  console.log(out.join('\n'));
  return errors.length ? 1 : 0;
}

function renderTable(rows: Row[]): string {
  const header = ['Scenario', 'Measure', 'Service', 'Baseline', 'Ratio', 'Target', 'Met'];
  const cells = rows.map((r) => [
    r.scenario,
    r.measure,
    r.service,
    r.baseline,
    r.ratio,
    r.target,
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (values: string[]) => `| ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

async function describeMachine(server: BenchPostgres) {
  const postgres = await withClient(server.adminUrl, async (c) => {
    const { rows } = await c.query<{ server_version: string }>('SHOW server_version');
    return rows[0].server_version;
  });
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memory: `${gib(os.totalmem())} RAM (${gib(os.freemem())} free at start)`,
    node: process.versions.node,
    postgres,
    os: `${os.type()} ${os.release()}`,
  };
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
