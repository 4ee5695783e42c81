import { fmt, log, start, stop, type BenchContext, type ScenarioOutcome } from '../lib/context.js';
import { median } from '../lib/load.js';

/**
 * Scenario 5: the service's peak RSS under the scenario-1 load (the kernel's high-water mark), and
 * milliseconds from spawning it to the first 200 of GET /api/health/ready on a migrated database
 * (production mode; the first start only warms the file cache and is not counted).
 */
export async function memoryAndStartup(
  ctx: BenchContext,
  peakRssMb: number | undefined,
): Promise<ScenarioOutcome> {
  const db = await ctx.pg.createDatabase('startup');
  const times: number[] = [];
  for (let i = 0; i <= ctx.profile.startupRuns; i++) {
    const started = await start(ctx, `startup-${i}`, db);
    await stop(ctx, started.process);
    if (i > 0) times.push(started.readyMs);
  }
  log(`  start-up: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms`);
  return {
    rows: [
      {
        scenario: '5 memory and start-up',
        measure: 'peak RSS of the service in scenario 1',
        service: fmt.mb(peakRssMb),
        target: '≤ 200 MB',
        met: peakRssMb === undefined ? undefined : peakRssMb <= 200,
      },
      {
        measure: `start → ready, existing database (median of ${times.length})`,
        service: `${median(times).toFixed(0)} ms`,
      },
    ],
  };
}
