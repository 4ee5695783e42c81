import {
  BASELINE_READY_PATH,
  INVITE_CONNECTIONS,
  SERVICE_MAIN,
  SERVICE_READY_PATH,
  SERVICE_RUN_FLAGS,
  authorization,
  baselineScript,
  fmt,
  freshEmails,
  serviceEnv,
  startBaseline,
  startService,
  stopProcess,
  type BenchContext,
  type ScenarioOutcome,
  type Started,
} from '../lib/context.js';
import {
  callgrindAvailable,
  countInstructions,
  type InstructionCount,
} from '../lib/instructions.js';
import {
  SlicedLoad,
  median,
  pairedRatios,
  runLoad,
  runSlice,
  type LoadOptions,
  type LoadResult,
} from '../lib/load.js';
import {
  checkpoint,
  readStatements,
  resetStatements,
  seedOwner,
  statementShape,
  type StatementStat,
} from '../lib/postgres.js';
import { RssSampler, cpuMs, freePort, rssMb, treeCpuMs } from '../lib/processes.js';

/** `floor`: the baseline's handler behind a bare NestJS route (a diagnostic; profile.floor). */
type Side = 'service' | 'baseline' | 'floor';

interface Phase {
  side: Side;
  round: number;
  load: LoadResult;
  statements?: StatementStat[];
  /**
   * CPU milliseconds per request in the measured phase: the server process, PostgreSQL (all its
   * processes; embedded server only) and the load generator (this process).
   */
  cpu: { server?: number; postgres?: number; loadGenerator: number };
  rss?: { peakMb: number | undefined; highWaterMarkMb: number | undefined; readyMb?: number };
}

export interface InviteOutcome extends ScenarioOutcome {
  /** Peak RSS of the service over its scenario-1 runs (scenario 5). */
  peakRssMb?: number;
  highWaterMarkMb?: number;
}

/**
 * Seconds of one slice of a measured phase. A side's phase is taken in slices, in turns with the
 * other sides' (round-robin, the order reversed every turn): on these shared cores the same
 * process's speed drifted by a third within minutes (the baseline 176 and 229 req/s in two rounds
 * of one run, its CPU per request 2.85 and 2.03 ms), and a side measured in one block minutes
 * after the other took that drift into the ratio (one run's rounds 1.10, 1.01 and 0.89).
 */
const SLICE_SECONDS = 5;
/**
 * Unmeasured load before each slice: after sitting idle through the other sides' slices, the
 * first requests of a slice reopened pool connections and re-prepared statements (p99 215–550 ms
 * in slices without it, 130–180 ms in whole phases).
 */
const SLICE_WARMUP_SECONDS = 1;

/**
 * Scenario 1: POST /api/users, 10 never-seen addresses per request, 20 connections, against the
 * service and the plain node:http + pg baseline (and the floor, when measured). Each round starts
 * every side fresh (its own database copied from the migrated template), warms each up, then
 * measures them in alternating slices of `SLICE_SECONDS`; rounds start with alternating sides.
 */
export async function inviteThroughput(ctx: BenchContext): Promise<InviteOutcome> {
  const phases: Phase[] = [];
  for (let round = 1; round <= ctx.profile.rounds; round++) {
    // The floor, when measured, runs between the two, so service and baseline keep swapping ends.
    const ends: Side[] = round % 2 === 1 ? ['baseline', 'service'] : ['service', 'baseline'];
    const order: Side[] = ctx.profile.floor ? [ends[0], 'floor', ends[1]] : ends;
    phases.push(...(await inviteRound(ctx, order, round)));
  }

  const of = (side: Side) => phases.filter((p) => p.side === side);
  const summary = (side: Side) => ({
    rps: median(of(side).map((p) => p.load.rps)),
    p50: median(of(side).map((p) => p.load.p50)),
    p99: median(of(side).map((p) => p.load.p99)),
  });
  const service = summary('service');
  const baseline = summary('baseline');
  const rpsRatio = service.rps / baseline.rps;
  const p99Ratio = service.p99 / baseline.p99;
  const failed = phases.filter((p) => p.load.non2xx > 0 || p.load.errors > 0);

  const notes: string[] = [];
  // How far the rounds' own ratios lie apart says how much of the headline is the shared machine
  // rather than the code.
  const roundRatios = pairedRatios(phases, 'service', 'baseline');
  if (roundRatios.length > 1) {
    notes.push(
      `Scenario 1: each round's own ratio (service ÷ baseline): ${roundRatios
        .map((r) => `round ${r.round} ${fmt.ratio(r.rps)} (p99 ${fmt.ratio(r.p99)})`)
        .join(', ')}`,
    );
  }
  const lastService = of('service').at(-1)?.statements;
  const lastBaseline = of('baseline').at(-1)?.statements;
  let sameStatements: boolean | undefined;
  if (lastService && lastBaseline) {
    const comparison = compareStatements(lastService, lastBaseline);
    sameStatements = comparison.same;
    notes.push(...comparison.lines);
  }

  const floorRows: ScenarioOutcome['rows'] = [];
  let floor: ReturnType<typeof summary> | undefined;
  if (of('floor').length > 0) {
    floor = summary('floor');
    floorRows.push({
      scenario: '',
      measure: 'NestJS floor: the baseline handler in a bare Nest route',
      service: fmt.rps(floor.rps),
      baseline: fmt.rps(baseline.rps),
      ratio: fmt.ratio(floor.rps / baseline.rps),
      target: '(diagnostic)',
    });
    notes.push(...floorLines(of));
  }

  const instructionRows: ScenarioOutcome['rows'] = [];
  let instructions: Record<Side, InstructionCount> | undefined;
  if (ctx.profile.instructions) {
    if (await callgrindAvailable()) {
      instructions = await instructionCounts(ctx, ctx.profile.instructions);
      const perRequest = (side: Side) => instructions![side].perRequest;
      const millions = (side: Side) => `${(perRequest(side) / 1e6).toFixed(2)} M`;
      instructionRows.push(
        {
          scenario: '',
          measure: 'instructions per request (callgrind)',
          service: millions('service'),
          baseline: millions('baseline'),
          ratio: fmt.ratio(perRequest('service') / perRequest('baseline')),
          target: '(diagnostic)',
        },
        {
          scenario: '',
          measure: 'instructions per request, NestJS floor',
          service: millions('floor'),
          baseline: millions('baseline'),
          ratio: fmt.ratio(perRequest('floor') / perRequest('baseline')),
          target: '(diagnostic)',
        },
      );
    } else {
      notes.push(
        'Scenario 1: instructions not counted: valgrind is not installed (apt-get install valgrind)',
      );
    }
  }

  const peaks = of('service').map((p) => p.rss?.peakMb ?? 0);
  const hwms = of('service').map((p) => p.rss?.highWaterMarkMb ?? 0);
  const rounds = ctx.profile.rounds > 1 ? ` (median of ${ctx.profile.rounds} rounds)` : '';
  return {
    rows: [
      {
        scenario: '1 invite throughput',
        measure: `throughput${rounds}`,
        service: fmt.rps(service.rps),
        baseline: fmt.rps(baseline.rps),
        ratio: fmt.ratio(rpsRatio, 0.85),
        target: '≥ 0.85',
        met: rpsRatio >= 0.85,
      },
      {
        scenario: '',
        measure: 'p50 latency',
        service: fmt.ms(service.p50),
        baseline: fmt.ms(baseline.p50),
        ratio: fmt.ratio(service.p50 / baseline.p50),
        target: '',
      },
      {
        scenario: '',
        measure: 'p99 latency',
        service: fmt.ms(service.p99),
        baseline: fmt.ms(baseline.p99),
        ratio: fmt.ratio(p99Ratio, 1.2),
        target: '≤ 1.2',
        met: p99Ratio <= 1.2,
      },
      ...floorRows,
      ...instructionRows,
    ],
    data: {
      phases,
      service,
      baseline,
      floor,
      rpsRatio,
      p99Ratio,
      roundRatios,
      sameStatements,
      instructions,
    },
    notes,
    peakRssMb: peaks.length ? Math.max(...peaks) : undefined,
    highWaterMarkMb: hwms.length ? Math.max(...hwms) : undefined,
    error:
      failed.length > 0
        ? `requests failed: ${failed.map((p) => `${p.side} round ${p.round}: ${p.load.non2xx} non-2xx, ${p.load.errors} errors`).join('; ')}`
        : undefined,
  };
}

interface RoundSide {
  side: Side;
  name: string;
  db: string;
  started: Started;
  options: LoadOptions;
  readyMb?: number;
  rss?: RssSampler;
  load: SlicedLoad;
  cpu: { server?: number; postgres?: number; loadGenerator: number };
  /** Requests since its statement statistics were reset: the slices' warm-ups included. */
  sinceReset: number;
}

/** One round of scenario 1: every side of `order` started, warmed up, then measured in slices. */
async function inviteRound(ctx: BenchContext, order: Side[], round: number): Promise<Phase[]> {
  const sides: RoundSide[] = [];
  try {
    for (const side of order) {
      const db = await ctx.pg.createDatabase(`invite_${side}_${round}`);
      const owner = await seedOwner(db);
      const name = `invite-${side}-${round}`;
      const started: Started =
        side === 'service'
          ? await startService(ctx, name, db)
          : await startBaseline(ctx, name, db, side === 'floor' ? 'nest-floor' : 'node');
      sides.push({
        side,
        name,
        db,
        started,
        options: await inviteLoadOptions(ctx, started, owner, `${side}${round}`),
        readyMb: rssMb(started.process.pid),
        rss: side === 'service' ? new RssSampler(started.process.pid) : undefined,
        load: new SlicedLoad(),
        cpu: { server: 0, postgres: 0, loadGenerator: 0 },
        sinceReset: 0,
      });
    }
    for (const s of sides) {
      await runLoad({ ...s.options, warmupSeconds: 0, durationSeconds: ctx.profile.warmupSeconds });
      if (ctx.pg.statements) await resetStatements(s.db);
    }
    const turns = Math.max(1, Math.round(ctx.profile.durationSeconds / SLICE_SECONDS));
    const seconds = ctx.profile.durationSeconds / turns;
    for (let turn = 0; turn < turns; turn++) {
      for (const s of turn % 2 === 0 ? sides : [...sides].reverse()) {
        let before: CpuSnapshot | undefined;
        const slice = await runSlice({
          ...s.options,
          warmupSeconds: SLICE_WARMUP_SECONDS,
          durationSeconds: seconds,
          afterWarmup: async () => {
            // Every slice starts with the WAL of the ones before it flushed, not billed to it.
            await checkpoint(s.db);
            before = cpuSnapshot(ctx, s.started);
          },
        });
        addCpu(s.cpu, before!, cpuSnapshot(ctx, s.started));
        s.load.add(slice);
        s.sinceReset += slice.warmupRequests + slice.result.requests;
      }
    }
    const phases: Phase[] = [];
    for (const s of sides) {
      const load = s.load.result();
      const cpu = {
        server: s.cpu.server === undefined ? undefined : s.cpu.server / load.requests,
        postgres: s.cpu.postgres === undefined ? undefined : s.cpu.postgres / load.requests,
        loadGenerator: s.cpu.loadGenerator / load.requests,
      };
      const statements = ctx.pg.statements ? await readStatements(s.db, s.sinceReset) : undefined;
      log(
        `  ${s.name}: ${fmt.rps(load.rps)}, p50 ${fmt.ms(load.p50)}, p99 ${fmt.ms(load.p99)}` +
          `, CPU ms/request: server ${cpu.server?.toFixed(2)}, PostgreSQL ${cpu.postgres?.toFixed(2)}, load ${cpu.loadGenerator.toFixed(2)}` +
          ` (${turns} slice${turns === 1 ? '' : 's'} of ${seconds} s)` +
          (load.non2xx ? `, ${load.non2xx} non-2xx` : ''),
      );
      phases.push({
        side: s.side,
        round,
        load,
        statements,
        cpu,
        rss: s.rss && { ...s.rss.stop(), readyMb: s.readyMb },
      });
    }
    return phases;
  } finally {
    for (const s of sides) {
      s.rss?.stop();
      await stopProcess(ctx, s.started.process);
    }
  }
}

/** Adds the CPU used between two snapshots to `total` (undefined once a reading was missing). */
function addCpu(total: RoundSide['cpu'], before: CpuSnapshot, after: CpuSnapshot): void {
  const add = (sum?: number, from?: number, to?: number) =>
    sum === undefined || from === undefined || to === undefined ? undefined : sum + to - from;
  total.server = add(total.server, before.server, after.server);
  total.postgres = add(total.postgres, before.postgres, after.postgres);
  total.loadGenerator += after.loadGenerator - before.loadGenerator;
}

/**
 * Where the service's CPU per request goes, from the medians of the three sides: the framework
 * (floor − baseline) and the service's own layers (service − floor: its middleware, guards,
 * validation, ORM, logging and the garbage of all of them).
 */
function floorLines(of: (side: Side) => Phase[]): string[] {
  const cpu = (side: Side) => {
    const values = of(side)
      .map((p) => p.cpu.server)
      .filter((v): v is number => v !== undefined);
    return values.length > 0 ? median(values) : undefined;
  };
  const [baseline, floor, service] = [cpu('baseline'), cpu('floor'), cpu('service')];
  if (baseline === undefined || floor === undefined || service === undefined) return [];
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  return [
    'Scenario 1: server CPU per request (median of the rounds)',
    `  baseline (node:http) ${ms(baseline)}, NestJS floor ${ms(floor)}, service ${ms(service)}`,
    `  the framework (floor − baseline) ${ms(floor - baseline)}; the service's own layers (service − floor) ${ms(service - floor)}`,
  ];
}

interface CpuSnapshot {
  server?: number;
  postgres?: number;
  loadGenerator: number;
}

function cpuSnapshot(ctx: BenchContext, started: Started): CpuSnapshot {
  const postmaster = ctx.pg.postmasterPid;
  const usage = process.cpuUsage();
  return {
    server: cpuMs(started.process.pid),
    postgres: postmaster === undefined ? undefined : treeCpuMs(postmaster),
    loadGenerator: (usage.user + usage.system) / 1000,
  };
}

/**
 * Scenario 1's load as one block, warm-up then the measured phase (scenario 2; scenario 1 itself
 * measures in slices, `inviteRound`).
 */
export async function inviteLoad(
  ctx: BenchContext,
  target: Started,
  owner: { organisationId: string; userId: string },
  emailPrefix: string,
  afterWarmup?: () => Promise<void>,
): Promise<LoadResult> {
  return runLoad({ ...(await inviteLoadOptions(ctx, target, owner, emailPrefix)), afterWarmup });
}

async function inviteLoadOptions(
  ctx: BenchContext,
  target: Started,
  owner: { organisationId: string; userId: string },
  emailPrefix: string,
): Promise<LoadOptions> {
  return {
    url: target.url,
    method: 'POST',
    path: () => '/api/users',
    headers: {
      authorization: await authorization(ctx.secret, owner),
      'content-type': 'application/json',
    },
    body: freshEmails(emailPrefix),
    connections: INVITE_CONNECTIONS,
    warmupSeconds: ctx.profile.warmupSeconds,
    durationSeconds: ctx.profile.durationSeconds,
  };
}

/**
 * Instructions per request of each side under callgrind (bench/lib/instructions.ts), each once on
 * a fresh database: the same load as the timed phases, counted after a warm-up.
 */
async function instructionCounts(
  ctx: BenchContext,
  counts: { warmupRequests: number; requests: number },
): Promise<Record<Side, InstructionCount>> {
  const result: Partial<Record<Side, InstructionCount>> = {};
  for (const side of ['baseline', 'floor', 'service'] as const) {
    const db = await ctx.pg.createDatabase(`instructions_${side}`);
    const owner = await seedOwner(db);
    const port = await freePort();
    const name = `instructions-${side}`;
    log(`  ${name}: ${counts.warmupRequests} requests of warm-up, then ${counts.requests} counted`);
    result[side] = await countInstructions(ctx, {
      name,
      port,
      env: serviceEnv(ctx, db, port),
      ...(side === 'service'
        ? { script: SERVICE_MAIN, nodeArgs: SERVICE_RUN_FLAGS, readyPath: SERVICE_READY_PATH }
        : {
            script: baselineScript(side === 'floor' ? 'nest-floor' : 'node'),
            nodeArgs: [],
            readyPath: BASELINE_READY_PATH,
          }),
      load: (target) => inviteLoadOptions(ctx, target, owner, `instructions-${side}`),
      ...counts,
    });
    log(`  ${name}: ${(result[side].perRequest / 1e6).toFixed(2)} M instructions per request`);
  }
  return result as Record<Side, InstructionCount>;
}

/**
 * Both handlers must issue the same statements the same number of times per request; this is
 * what makes the baseline a baseline. Compares pg_stat_statements of the last run of each.
 */
function compareStatements(
  service: StatementStat[],
  baseline: StatementStat[],
): { same: boolean; lines: string[] } {
  // Statements issued at least once per 2 requests (the request path, not start-up or health),
  // by shape: the entries of one shape added up.
  const hot = (list: StatementStat[]) => {
    const merged = new Map<string, StatementStat>();
    for (const s of list) {
      const shaped = statementShape(s.query);
      const seen = merged.get(shaped);
      merged.set(shaped, seen ? { ...seen, perRequest: seen.perRequest + s.perRequest } : s);
    }
    for (const [key, s] of merged) if (s.perRequest < 0.5) merged.delete(key);
    return merged;
  };
  const key = (s: StatementStat) => s.query.slice(0, 60);
  const serviceHot = hot(service);
  const baselineHot = hot(baseline);
  const total = (hotList: Map<string, StatementStat>) =>
    [...hotList.values()].reduce((sum, s) => sum + s.perRequest, 0);
  const [serviceTotal, baselineTotal] = [total(serviceHot), total(baselineHot)];
  const lines = [
    'Scenario 1: statements per request (pg_stat_statements over the slices and their warm-ups; requests still in flight when a warm-up ends add a few per cent)',
  ];
  lines.push('  service  baseline  statement');
  let same = serviceHot.size === baselineHot.size;
  for (const [shaped, s] of serviceHot) {
    const b = baselineHot.get(shaped);
    if (!b || Math.abs(b.perRequest - s.perRequest) > 0.1 * s.perRequest) same = false;
    lines.push(
      `  ${s.perRequest.toFixed(2).padStart(7)}  ${(b ? b.perRequest.toFixed(2) : '-').padStart(8)}  ${key(s)}`,
    );
    baselineHot.delete(shaped);
  }
  for (const b of baselineHot.values()) {
    lines.push(`  ${'-'.padStart(7)}  ${b.perRequest.toFixed(2).padStart(8)}  ${key(b)}`);
  }
  lines.push(
    `  ${serviceTotal.toFixed(1).padStart(7)}  ${baselineTotal.toFixed(1).padStart(8)}  in all: ${same ? 'the same statements' : 'DIFFERENT statements: the baseline no longer mirrors the service'}`,
  );
  return { same, lines };
}

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
