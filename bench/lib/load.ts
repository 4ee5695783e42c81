import autocannon from 'autocannon';

export interface LoadOptions {
  /** Base URL of the server under test (loopback only). */
  url: string;
  method: 'GET' | 'POST';
  /** Path of each request; called per request, so every request can differ. */
  path: () => string;
  headers: Record<string, string>;
  /** Body of each request, called per request. */
  body?: () => string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Runs between the warm-up and the measured phase (e.g. resetting statement statistics). */
  afterWarmup?: () => Promise<void>;
}

export interface LoadResult {
  /** Responses of the measured phase (warm-up excluded). */
  requests: number;
  seconds: number;
  rps: number;
  /** Milliseconds, exact (every response's latency kept, not a histogram bucket). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Responses that were not 2xx, and connection errors or timeouts. */
  non2xx: number;
  errors: number;
}

/** An autocannon run: a warm-up phase (discarded), then the measured phase. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  return (await runSlice(options)).result;
}

/** A fixed number of requests, as fast as `connections` allow (used to fill queues). */
export async function runAmount(options: LoadOptions, amount: number): Promise<LoadResult> {
  return phase(options, undefined, amount);
}

async function phase(
  options: LoadOptions,
  durationSeconds: number | undefined,
  amount?: number,
): Promise<LoadResult> {
  return (await measure(options, durationSeconds, amount)).result;
}

/**
 * One slice of a measured phase: `options.warmupSeconds` of load discarded (the target sat idle
 * during the other targets' slices: its pool may have closed connections, and with them their
 * prepared statements), `afterWarmup`, then `options.durationSeconds` measured. Slices are taken
 * in turns with the other targets' and added up with `SlicedLoad`.
 */
export async function runSlice(
  options: LoadOptions,
): Promise<MeasuredLoad & { warmupRequests: number }> {
  const warmup =
    options.warmupSeconds > 0 ? await phase(options, options.warmupSeconds) : undefined;
  await options.afterWarmup?.();
  return {
    ...(await measure(options, options.durationSeconds)),
    warmupRequests: warmup?.requests ?? 0,
  };
}

export interface MeasuredLoad {
  result: LoadResult;
  /** Every response's latency, milliseconds, sorted. */
  latencies: number[];
}

async function measure(
  options: LoadOptions,
  durationSeconds: number | undefined,
  amount?: number,
): Promise<MeasuredLoad> {
  const latencies: number[] = [];
  let non2xx = 0;
  const { body, path } = options;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(amount === undefined ? { duration: durationSeconds } : { amount }),
    timeout: 30,
    requests: [
      {
        method: options.method,
        headers: options.headers,
        setupRequest: (request) => ({
          ...request,
          path: path(),
          ...(body ? { body: body() } : {}),
        }),
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status < 200 || status >= 300) non2xx += 1;
  });
  const started = performance.now();
  const result = await instance;
  const seconds = amount === undefined ? result.duration : (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { result: summarise(latencies, seconds, non2xx, result.errors), latencies };
}

function summarise(sorted: number[], seconds: number, non2xx: number, errors: number): LoadResult {
  return {
    requests: sorted.length,
    seconds,
    rps: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    non2xx,
    errors,
  };
}

/** A measured phase made of slices (`runSlice`): requests, time and latencies added up. */
export class SlicedLoad {
  private readonly latencies: number[] = [];
  private seconds = 0;
  private non2xx = 0;
  private errors = 0;

  add(slice: MeasuredLoad): void {
    this.latencies.push(...slice.latencies);
    this.seconds += slice.result.seconds;
    this.non2xx += slice.result.non2xx;
    this.errors += slice.result.errors;
  }

  result(): LoadResult {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return summarise(sorted, this.seconds, this.non2xx, this.errors);
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Side `a` ÷ side `b` within each round that measured both (throughput and p99 latency), in round
 * order: how far they lie apart shows how much the shared machine moved the ratio within one run.
 */
export function pairedRatios<Side extends string>(
  phases: { side: Side; round: number; load: Pick<LoadResult, 'rps' | 'p99'> }[],
  a: Side,
  b: Side,
): { round: number; rps: number; p99: number }[] {
  const rounds = [...new Set(phases.map((p) => p.round))].sort((x, y) => x - y);
  return rounds.flatMap((round) => {
    const first = phases.find((p) => p.round === round && p.side === a);
    const second = phases.find((p) => p.round === round && p.side === b);
    if (!first || !second) return [];
    return [
      { round, rps: first.load.rps / second.load.rps, p99: first.load.p99 / second.load.p99 },
    ];
  });
}
