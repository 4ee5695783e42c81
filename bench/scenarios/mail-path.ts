import {
  fmt,
  inviteLoad,
  log,
  start,
  stop,
  type BenchContext,
  type ScenarioOutcome,
} from '../lib/context.js';
import { median, runLoad, type LoadResult } from '../lib/load.js';
import { checkpoint, seedOwner } from '../lib/postgres.js';

const SLOW_MS = 500;

/**
 * Scenario 2: the scenario-1 load on the service with its mail worker on, the SMTP peer answering
 * each message at once and then after 500 ms. Mail is sent by the worker after the request's
 * transaction commits, so the requests' latency must not notice the slow peer.
 */
export async function mailOffRequestPath(ctx: BenchContext): Promise<ScenarioOutcome> {
  const phases: { delayMs: number; round: number; load: LoadResult; delivered: number }[] = [];
  for (let round = 1; round <= ctx.profile.rounds; round++) {
    for (const delayMs of round % 2 ? [0, SLOW_MS] : [SLOW_MS, 0]) {
      const db = await ctx.pg.createDatabase(`mail_${delayMs}_${round}`);
      const owner = await seedOwner(db);
      ctx.peer.delayMs = delayMs;
      ctx.peer.reset();
      const name = `mail-path-${delayMs}ms-${round}`;
      const started = await start(ctx, name, db, { env: { MAIL_WORKER_ENABLED: 'true' } });
      try {
        let before = 0;
        const load = await runLoad({
          ...(await inviteLoad(ctx, started, owner, `mail${delayMs}-${round}`)),
          afterWarmup: async () => {
            await checkpoint(db);
            before = ctx.peer.total;
          },
        });
        const delivered = ctx.peer.total - before;
        log(`  ${name}: ${fmt.rps(load.rps)}, p99 ${fmt.ms(load.p99)}, ${delivered} delivered`);
        phases.push({ delayMs, round, load, delivered });
      } finally {
        await stop(ctx, started.process);
        ctx.peer.delayMs = 0;
      }
    }
  }
  const at = (delay: number) => phases.filter((p) => p.delayMs === delay);
  const p99 = (delay: number) => median(at(delay).map((p) => p.load.p99));
  const delivered = (delay: number) => at(delay).reduce((sum, p) => sum + p.delivered, 0);
  const ratio = p99(SLOW_MS) / p99(0);
  return {
    rows: [
      {
        scenario: '2 mail off the request path',
        measure: `p99, SMTP peer ${SLOW_MS} ms vs instant (worker on)`,
        service: `${fmt.ms(p99(SLOW_MS))} vs ${fmt.ms(p99(0))}`,
        ratio: fmt.ratio(ratio, 1.1),
        target: '≤ 1.1',
        met: ratio <= 1.1,
      },
      {
        measure: 'messages delivered while measuring',
        service: `${delivered(SLOW_MS)} vs ${delivered(0)}`,
      },
    ],
  };
}
