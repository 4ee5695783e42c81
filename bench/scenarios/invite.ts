import {
  fmt,
  inviteLoad,
  log,
  start,
  stop,
  type BenchContext,
  type ScenarioOutcome,
  type Started,
} from '../lib/context.js';
import { combine, median, runLoad, type LoadOptions, type LoadResult } from '../lib/load.js';
import { checkpoint, queryValue, seedOwner } from '../lib/postgres.js';

type Side = 'service' | 'baseline';

/**
 * Seconds of one slice. Each side is measured in slices taken in turns with the other's (the
 * order reversed every turn), so drift of the shared host during the run falls on both alike.
 */
const SLICE_SECONDS = 5;
/** Unmeasured load before each slice: the side sat idle through the other's slice. */
const SLICE_WARMUP_SECONDS = 1;

interface Phase {
  side: Side;
  round: number;
  load: LoadResult;
  /** Statements per request by shape (when pg_stat_statements is loaded). */
  hot?: Map<string, number>;
  peakRssMb?: number;
}

export interface InviteOutcome extends ScenarioOutcome {
  /** The service's peak RSS over its scenario-1 runs (scenario 5). */
  peakRssMb?: number;
}

/**
 * Scenario 1: POST /api/users, 10 never-seen addresses per request, 20 connections, against the
 * service and bench/baseline/server.ts (node:http + pg issuing the same statements). Every round
 * starts both sides afresh, each on a database of its own; rounds alternate which side goes first.
 */
export async function inviteThroughput(ctx: BenchContext): Promise<InviteOutcome> {
  const phases: Phase[] = [];
  // How far the rounds' own ratios lie apart is the machine, not the code.
  const roundRatios: string[] = [];
  for (let round = 1; round <= ctx.profile.rounds; round++) {
    const order: Side[] = round % 2 ? ['baseline', 'service'] : ['service', 'baseline'];
    const [a, b] = await inviteRound(ctx, order, round);
    const [s, base] = a.side === 'service' ? [a.load, b.load] : [b.load, a.load];
    roundRatios.push(
      `round ${round} ${fmt.ratio(s.rps / base.rps)} (p99 ${fmt.ratio(s.p99 / base.p99)})`,
    );
    phases.push(a, b);
  }
  const of = (side: Side) => phases.filter((p) => p.side === side);
  const summary = (side: Side) => ({
    rps: median(of(side).map((p) => p.load.rps)),
    p50: median(of(side).map((p) => p.load.p50)),
    p99: median(of(side).map((p) => p.load.p99)),
  });
  const [service, baseline] = [summary('service'), summary('baseline')];
  const statements = compareStatements(of('service').at(-1)?.hot, of('baseline').at(-1)?.hot);
  const rounds = ctx.profile.rounds > 1 ? ` (median of ${ctx.profile.rounds} rounds)` : '';
  const row = (measure: string, key: 'rps' | 'p50' | 'p99', bound?: number) => ({
    measure,
    service: key === 'rps' ? fmt.rps(service[key]) : fmt.ms(service[key]),
    baseline: key === 'rps' ? fmt.rps(baseline[key]) : fmt.ms(baseline[key]),
    ratio: fmt.ratio(service[key] / baseline[key], bound),
  });
  return {
    rows: [
      {
        scenario: '1 invite throughput',
        ...row(`throughput${rounds}`, 'rps', 0.85),
        target: '≥ 0.85',
        met: service.rps / baseline.rps >= 0.85,
      },
      row('p50 latency', 'p50'),
      {
        ...row('p99 latency', 'p99', 1.2),
        target: '≤ 1.2',
        met: service.p99 / baseline.p99 <= 1.2,
      },
      { measure: 'statements per request (pg_stat_statements)', ...statements.row },
    ],
    notes: [
      `Scenario 1, each round's own ratio (service ÷ baseline): ${roundRatios.join(', ')}`,
      ...statements.lines,
    ],
    peakRssMb: Math.max(0, ...of('service').map((p) => p.peakRssMb ?? 0)) || undefined,
  };
}

/** One round: both sides started and warmed up, then measured in turns of slices. */
async function inviteRound(ctx: BenchContext, order: Side[], round: number): Promise<Phase[]> {
  const sides: {
    side: Side;
    db: string;
    started: Started;
    load: LoadOptions;
    slices: LoadResult[];
    /** Invitations when the statement statistics were reset: 10 more per request served. */
    invitations: number;
  }[] = [];
  try {
    for (const side of order) {
      const db = await ctx.pg.createDatabase(`invite_${side}_${round}`);
      const owner = await seedOwner(db);
      const started = await start(ctx, `invite-${side}-${round}`, db, {
        baseline: side === 'baseline' ? 'server' : undefined,
      });
      const load = await inviteLoad(ctx, started, owner, `${side}${round}`);
      sides.push({ side, db, started, load, slices: [], invitations: 0 });
    }
    for (const s of sides) {
      await runLoad({ ...s.load, warmupSeconds: 0, durationSeconds: ctx.profile.warmupSeconds });
      await ctx.pg.resetStatements(s.db);
      s.invitations = await invitationCount(s.db);
    }
    const turns = Math.max(1, Math.round(ctx.profile.durationSeconds / SLICE_SECONDS));
    for (let turn = 0; turn < turns; turn++) {
      for (const s of turn % 2 === 0 ? sides : [...sides].reverse()) {
        s.slices.push(
          await runLoad({
            ...s.load,
            warmupSeconds: SLICE_WARMUP_SECONDS,
            durationSeconds: ctx.profile.durationSeconds / turns,
            // Every slice starts with the WAL of the ones before it flushed, not billed to it.
            afterWarmup: () => checkpoint(s.db),
          }),
        );
      }
    }
    const phases: Phase[] = [];
    for (const s of sides) {
      const load = combine(s.slices);
      log(
        `  invite-${s.side}-${round}: ${fmt.rps(load.rps)}, p50 ${fmt.ms(load.p50)}, p99 ${fmt.ms(load.p99)}`,
      );
      // Requests as the database saw them: the load generator leaves some in flight at every stop.
      const requests = ((await invitationCount(s.db)) - s.invitations) / 10;
      const hot = await ctx.pg.hotStatements(s.db, requests);
      phases.push({ side: s.side, round, load, hot, peakRssMb: s.started.process.peakRssMb() });
    }
    return phases;
  } finally {
    for (const s of sides) await stop(ctx, s.started.process);
  }
}

/**
 * The baseline is a baseline only while both sides issue the same statements the same number of
 * times per request: compared by shape, a tenth apart at most.
 */
function compareStatements(service?: Map<string, number>, baseline?: Map<string, number>) {
  if (!service || !baseline) return { row: { service: 'not loaded' }, lines: [] };
  const lines = [...new Set([...service.keys(), ...baseline.keys()])].flatMap((shape) => {
    const [s, b] = [service.get(shape), baseline.get(shape)];
    if (s !== undefined && b !== undefined && Math.abs(s - b) <= 0.1 * s) return [];
    return [`  service ${s?.toFixed(2) ?? '-'}, baseline ${b?.toFixed(2) ?? '-'}: ${shape}`];
  });
  const total = (hot: Map<string, number>) => [...hot.values()].reduce((a, b) => a + b, 0);
  return {
    row: {
      service: total(service).toFixed(1),
      baseline: total(baseline).toFixed(1),
      target: 'the same',
      met: lines.length === 0,
    },
    lines: lines.length
      ? ['Scenario 1, statements issued differently, per request:', ...lines]
      : [],
  };
}

function invitationCount(db: string): Promise<number> {
  return queryValue<number>(db, 'SELECT count(*)::int FROM invitations');
}
