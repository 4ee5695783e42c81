import {
  fmt,
  startService,
  stopProcess,
  type BenchContext,
  type ScenarioOutcome,
} from '../lib/context.js';
import { median, type LoadResult } from '../lib/load.js';
import { checkpoint, seedOwner } from '../lib/postgres.js';
import { inviteLoad, log } from './invite.js';

const SLOW_MS = 500;

interface Phase {
  delayMs: number;
  round: number;
  load: LoadResult;
  /** Messages the SMTP peer accepted during the measured phase: the worker was really sending. */
  delivered: number;
}

/**
 * Scenario 2: the scenario-1 load on the service with its mail worker on, the SMTP peer answering
 * each message instantly and then after 500 ms. Sending happens after the request's transaction
 * commits, in the worker, so the request's latency must not notice the slow peer.
 */
export async function mailOffRequestPath(ctx: BenchContext): Promise<ScenarioOutcome> {
  const phases: Phase[] = [];
  for (let round = 1; round <= Math.min(ctx.profile.rounds, 2); round++) {
    const delays = round % 2 === 1 ? [0, SLOW_MS] : [SLOW_MS, 0];
    for (const delayMs of delays) phases.push(await phase(ctx, delayMs, round));
  }
  const p99 = (delay: number) =>
    median(phases.filter((p) => p.delayMs === delay).map((p) => p.load.p99));
  const delivered = (delay: number) =>
    phases.filter((p) => p.delayMs === delay).reduce((sum, p) => sum + p.delivered, 0);
  const fast = p99(0);
  const slow = p99(SLOW_MS);
  const ratio = slow / fast;
  const failed = phases.filter((p) => p.load.non2xx > 0 || p.load.errors > 0);
  return {
    rows: [
      {
        scenario: '2 mail off the request path',
        measure: `p99, SMTP peer ${SLOW_MS} ms vs instant (worker on)`,
        service: `${fmt.ms(slow)} vs ${fmt.ms(fast)}`,
        baseline: '',
        ratio: fmt.ratio(ratio, 1.1),
        target: '≤ 1.1',
        met: ratio <= 1.1,
      },
      {
        scenario: '',
        measure: 'messages delivered while measuring',
        service: `${delivered(SLOW_MS)} vs ${delivered(0)}`,
        baseline: '',
        ratio: '',
        target: '',
      },
    ],
    data: { phases, p99Slow: slow, p99Fast: fast, ratio },
    notes: [],
    error:
      failed.length > 0
        ? `requests failed: ${failed.map((p) => `${p.delayMs} ms round ${p.round}: ${p.load.non2xx} non-2xx, ${p.load.errors} errors`).join('; ')}`
        : undefined,
  };
}

async function phase(ctx: BenchContext, delayMs: number, round: number): Promise<Phase> {
  const db = await ctx.pg.createDatabase(`mail_${delayMs}_${round}`);
  const owner = await seedOwner(db);
  ctx.peer.delayMs = delayMs;
  ctx.peer.reset();
  const name = `mail-path-${delayMs}ms-${round}`;
  const started = await startService(ctx, name, db, { MAIL_WORKER_ENABLED: 'true' });
  try {
    let before = 0;
    const load = await inviteLoad(ctx, started, owner, `mail${delayMs}-${round}`, async () => {
      await checkpoint(db);
      before = ctx.peer.total;
    });
    const delivered = ctx.peer.total - before;
    log(
      `  ${name}: ${fmt.rps(load.rps)}, p50 ${fmt.ms(load.p50)}, p99 ${fmt.ms(load.p99)}, ${delivered} messages delivered`,
    );
    return { delayMs, round, load, delivered };
  } finally {
    await stopProcess(ctx, started.process);
    ctx.peer.delayMs = 0;
  }
}
