import autocannon from 'autocannon';

export interface LoadOptions {
  /** Base URL of the server under test (loopback only). */
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  /** Body of each request, called per request so that every request can differ. */
  body?: () => string;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Runs between the warm-up and the measured phase. */
  afterWarmup?: () => Promise<void>;
}

export interface LoadResult {
  /** Responses of the measured phase (warm-up excluded). */
  requests: number;
  seconds: number;
  rps: number;
  /** Milliseconds, exact: every response's latency is kept (sorted), not a histogram bucket. */
  p50: number;
  p99: number;
  latencies: number[];
}

/** Warm-up (discarded), `afterWarmup`, then the measured phase. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await measure(options, { duration: options.warmupSeconds });
  await options.afterWarmup?.();
  return measure(options, { duration: options.durationSeconds });
}

/** A fixed number of requests, as fast as `connections` allow (fills queues). */
export async function runAmount(options: LoadOptions, amount: number): Promise<LoadResult> {
  return measure(options, { amount });
}

async function measure(
  options: LoadOptions,
  run: { duration: number } | { amount: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  const { body, path } = options;
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...run,
    timeout: 30,
    requests: [
      {
        method: options.method,
        headers: options.headers,
        setupRequest: (request) => ({ ...request, path, ...(body ? { body: body() } : {}) }),
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    if (status < 200 || status >= 300) non2xx += 1;
  });
  const started = performance.now();
  const result = await instance;
  // A failed request means the scenario did not measure what it claims: it cannot run.
  if (non2xx || result.errors) {
    throw new Error(`${options.method} ${path}: ${non2xx} non-2xx, ${result.errors} errors`);
  }
  const seconds = 'duration' in run ? result.duration : (performance.now() - started) / 1000;
  return summarise(latencies, seconds);
}

function summarise(latencies: number[], seconds: number): LoadResult {
  const sorted = latencies.sort((a, b) => a - b);
  const [p50, p99] = [percentile(sorted, 50), percentile(sorted, 99)];
  return { requests: sorted.length, seconds, rps: sorted.length / seconds, p50, p99, latencies };
}

/** Slices of one measured phase taken in turns with other phases', added up into one. */
export function combine(slices: LoadResult[]): LoadResult {
  const seconds = slices.reduce((sum, slice) => sum + slice.seconds, 0);
  return summarise(
    slices.flatMap((slice) => slice.latencies),
    seconds,
  );
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
