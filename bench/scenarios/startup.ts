import { freePort } from '../lib/processes.js';
import {
  LIMITS,
  SERVICE_MAIN,
  SERVICE_READY_PATH,
  SERVICE_RUN_FLAGS,
  fmt,
  startProcess,
  startService,
  stopProcess,
  type BenchContext,
  type Row,
  type ScenarioOutcome,
} from '../lib/context.js';
import { median } from '../lib/load.js';
import { log } from './invite.js';

/**
 * Scenario 5 (start-up half; the memory half comes from scenario 1): milliseconds from spawning
 * `node dist/src/main.js` to the first 200 of GET /api/health/ready, on a database that exists and
 * is migrated. Production mode on the bench's running PostgreSQL, and, with the embedded server,
 * development mode as `npm start` runs it: the service starts the (stopped) embedded PostgreSQL
 * itself. No target.
 */
export async function startupTimes(
  ctx: BenchContext,
  memory: { peakRssMb?: number; highWaterMarkMb?: number } | undefined,
): Promise<ScenarioOutcome> {
  const runs = ctx.profile.startupRuns;
  const production: number[] = [];
  const db = await ctx.pg.createDatabase('startup');
  // The first start installs nothing (the template is migrated), but warms the OS file cache.
  for (let i = 0; i <= runs; i++) {
    const started = await startService(ctx, `startup-production-${i}`, db);
    await stopProcess(ctx, started.process);
    if (i > 0) production.push(started.readyMs);
  }
  log(`  start-up, production: ${production.map((ms) => ms.toFixed(0)).join(', ')} ms`);

  const development: number[] = [];
  const dataDir = ctx.pg.dataDir;
  if (dataDir) {
    // The service starts PostgreSQL itself; its own first start migrates the `postgres` database
    // and creates the demo organisation, so it is not counted.
    await ctx.pg.stop();
    for (let i = 0; i <= runs; i++) {
      const port = await freePort();
      const started = await startProcess(ctx, {
        name: `startup-development-${i}`,
        script: SERVICE_MAIN,
        env: {
          NODE_ENV: 'development',
          EMBEDDED_POSTGRES_DIR: dataDir,
          PORT: String(port),
          INTERNAL_AUTH_SECRET: ctx.secret,
          LOG_LEVEL: 'warn',
          SMTP_URL: ctx.peer.url,
          MAIL_SHUTDOWN_TIMEOUT: '1s',
          ...LIMITS,
        },
        readyPath: SERVICE_READY_PATH,
        port,
        nodeArgs: SERVICE_RUN_FLAGS,
      });
      await stopProcess(ctx, started.process);
      if (i > 0) development.push(started.readyMs);
    }
    log(`  start-up, development: ${development.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  }

  const rows: Row[] = [
    {
      scenario: '5 memory and start-up',
      measure: 'peak RSS of the service during scenario 1',
      service: fmt.mb(memory?.peakRssMb),
      baseline: '',
      ratio: '',
      target: '≤ 200 MB',
      met: memory?.peakRssMb === undefined ? undefined : memory.peakRssMb <= 200,
    },
    {
      scenario: '',
      measure: `start → ready, production, existing database (median of ${runs})`,
      service: `${median(production).toFixed(0)} ms`,
      baseline: '',
      ratio: '',
      target: '(none)',
    },
  ];
  if (development.length) {
    rows.push({
      scenario: '',
      measure: `start → ready, development, existing embedded database (median of ${runs})`,
      service: `${median(development).toFixed(0)} ms`,
      baseline: '',
      ratio: '',
      target: '(none)',
    });
  }
  return {
    rows,
    data: { memory, startupMs: { production, development } },
    notes: [],
    // Without scenario 1 (BENCH_ONLY) there is no peak to report; that is not an error.
    error: memory && memory.peakRssMb === undefined ? 'no RSS samples of the service' : undefined,
  };
}
