import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import type { BenchPostgres } from './postgres.js';
import { NodeProcess, freePort } from './processes.js';
import type { SmtpPeer } from './smtp-peer.js';

export interface Profile {
  name: 'quick' | 'full' | 'smoke';
  warmupSeconds: number;
  durationSeconds: number;
  /** Alternating service/baseline rounds of scenario 1 (and fast/slow rounds of scenario 2). */
  rounds: number;
  /**
   * Scenario 1 also measures the NestJS floor (bench/baseline/nest-floor.ts) in every round: a
   * diagnostic of where the service's distance from the baseline goes. BENCH_FLOOR=1 adds it to
   * the quick profile (about 30 s more).
   */
  floor: boolean;
  /**
   * Scenario 1 also counts instructions per request under callgrind for the service, the floor and
   * the baseline (bench/lib/instructions.ts): a diagnostic this machine's noise does not move.
   * BENCH_INSTRUCTIONS=1 in quick and full (about 7 minutes more); always in smoke, with a handful
   * of requests, so CI runs the code path.
   */
  instructions: { warmupRequests: number; requests: number } | undefined;
  /** Invitations queued and then drained in scenario 3 (a multiple of 10). */
  drainCount: number;
  /** The two sizes of scenario 4's organisation: the baseline and the large one. */
  listingSizes: readonly [number, number];
  listingWarmupSeconds: number;
  listingDurationSeconds: number;
  startupRuns: number;
}

/** The scenarios' sizes: BENCH_DRAIN_COUNT changes the drain's, for working on the worker. */
const SIZES = {
  drainCount: Number(process.env.BENCH_DRAIN_COUNT ?? 10_000),
  listingSizes: [10_000, 1_000_000],
} as const;

/**
 * 4 000 requests of warm-up: V8 is still optimising the service's code well after the timed
 * phases' warm-up (600, 400, 130 functions optimised in its first three thousand requests, a few
 * dozen after that), and compilation is counted too. 1 000 measured requests spread the
 * garbage collector's full collections (one every few hundred requests) over enough of them.
 */
function instructionsOnRequest(): Profile['instructions'] {
  return process.env.BENCH_INSTRUCTIONS === '1'
    ? { warmupRequests: 4000, requests: 1000 }
    : undefined;
}

export const PROFILES: Record<Profile['name'], Profile> = {
  // Checks that every scenario runs; its numbers mean nothing.
  smoke: {
    name: 'smoke',
    warmupSeconds: 1,
    durationSeconds: 2,
    rounds: 1,
    floor: true,
    instructions: { warmupRequests: 30, requests: 20 },
    // Large enough to cross pg-boss's batches and the listing's index, small enough for CI.
    drainCount: 1_000,
    listingSizes: [10_000, 100_000],
    listingWarmupSeconds: 1,
    listingDurationSeconds: 1,
    startupRuns: 1,
  },
  quick: {
    name: 'quick',
    warmupSeconds: 3,
    durationSeconds: 10,
    // Two rounds in opposite orders (baseline first, then service first): one round always
    // measured the same side second, and the ratio moved by 0.2 between runs.
    rounds: 2,
    floor: process.env.BENCH_FLOOR === '1',
    instructions: instructionsOnRequest(),
    ...SIZES,
    listingWarmupSeconds: 2,
    listingDurationSeconds: 5,
    startupRuns: 3,
  },
  full: {
    name: 'full',
    warmupSeconds: 10,
    durationSeconds: 30,
    rounds: 3,
    floor: true,
    instructions: instructionsOnRequest(),
    ...SIZES,
    listingWarmupSeconds: 5,
    listingDurationSeconds: 15,
    startupRuns: 5,
  },
};

/** dist/ of this build: the service is dist/src/main.js, the bench dist/bench/. */
export const DIST = fileURLToPath(new URL('../../', import.meta.url));
export const SERVICE_MAIN = `${DIST}src/main.js`;

/**
 * The Node.js flags of `npm run start:prod` (package.json), so the bench runs the service as it is
 * deployed: `--heap-growing-percent=50` keeps the old generation from growing to V8's usual 4 × what
 * survived the last full collection, and `--max-semi-space-size=16` writes out V8's own ceiling for
 * the young generation on 64-bit.
 */
export const SERVICE_NODE_FLAGS: string[] = (() => {
  const pkg = JSON.parse(readFileSync(`${DIST}../package.json`, 'utf8')) as {
    scripts: Record<string, string>;
  };
  // `exec node …`: the script replaces npm's shell with node.
  const words = pkg.scripts['start:prod'].replace(/^exec\s+/, '').split(/\s+/);
  if (words[0] !== 'node') throw new Error('package.json start:prod must start with `node`');
  return words.slice(1).filter((word) => word.startsWith('--'));
})();

/** The flags every service process of the bench gets: start:prod's, then BENCH_SERVICE_NODE_ARGS (experiments). */
export const SERVICE_RUN_FLAGS: string[] = [
  ...SERVICE_NODE_FLAGS,
  ...(process.env.BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
];

/** Invite load: 20 connections, 10 never-seen addresses per request (issue 8, scenario 1). */
export const INVITE_CONNECTIONS = 20;
export const EMAILS_PER_REQUEST = 10;

/** Limits must not shape the measurement; the invitations budget cannot be switched off (min 1). */
export const LIMITS = {
  RATE_LIMIT_REQUESTS_PER_MINUTE: '0',
  RATE_LIMIT_INVITATIONS_PER_HOUR: '1000000',
};

export interface BenchContext {
  profile: Profile;
  pg: BenchPostgres;
  peer: SmtpPeer;
  /** Working directory of every process started (no .env there), and where logs go. */
  workDir: string;
  logDir: string;
  secret: string;
  /** Processes still running, stopped on exit whatever happens. */
  processes: Set<NodeProcess>;
}

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** The service's environment: production mode, as deployed, on `databaseUrl`. */
export function serviceEnv(
  ctx: BenchContext,
  databaseUrl: string,
  port: number,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    DATABASE_URL: databaseUrl,
    HOST: '127.0.0.1',
    PORT: String(port),
    APP_URL: `http://localhost:${port}`,
    INTERNAL_AUTH_SECRET: ctx.secret,
    LOG_LEVEL: 'warn',
    SMTP_URL: ctx.peer.url,
    MAIL_WORKER_ENABLED: 'false',
    MAIL_SHUTDOWN_TIMEOUT: '1s',
    INVITATION_RESEND_COOLDOWN: '60s',
    ...LIMITS,
    ...overrides,
  };
}

/** BENCH_CPU_PROF=<dir>: a V8 CPU profile of every service and baseline process, for finding what to fix. */
function profiling(): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export interface Started {
  process: NodeProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 of the readiness URL. */
  readyMs: number;
}

export const SERVICE_READY_PATH = '/api/health/ready';
export const BASELINE_READY_PATH = '/ready';

/** The script of a baseline: plain `node:http` (server.js) or the bare NestJS route (nest-floor.js). */
export function baselineScript(kind: 'node' | 'nest-floor'): string {
  return `${DIST}bench/baseline/${kind === 'node' ? 'server' : 'nest-floor'}.js`;
}

/** Starts the service (dist/src/main.js) and waits for GET /api/health/ready. */
export async function startService(
  ctx: BenchContext,
  name: string,
  databaseUrl: string,
  overrides: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Started> {
  const port = await freePort();
  return startProcess(ctx, {
    name,
    script: SERVICE_MAIN,
    env: serviceEnv(ctx, databaseUrl, port, overrides),
    readyPath: SERVICE_READY_PATH,
    port,
    nodeArgs: [...SERVICE_RUN_FLAGS, ...profiling(), ...nodeArgs],
  });
}

/**
 * Starts a baseline of POST /api/users: the plain node:http one (dist/bench/baseline/server.js),
 * or the same handler behind a bare NestJS route (nest-floor.js).
 */
export async function startBaseline(
  ctx: BenchContext,
  name: string,
  databaseUrl: string,
  kind: 'node' | 'nest-floor' = 'node',
) {
  const port = await freePort();
  return startProcess(ctx, {
    name,
    script: baselineScript(kind),
    nodeArgs: profiling(),
    // Its configuration is read with the service's loader, so both see the same values.
    env: serviceEnv(ctx, databaseUrl, port),
    readyPath: BASELINE_READY_PATH,
    port,
  });
}

export async function startProcess(
  ctx: BenchContext,
  options: {
    name: string;
    script: string;
    env: Record<string, string>;
    readyPath: string;
    port: number;
    nodeArgs?: string[];
    wrapper?: string[];
    readyTimeoutMs?: number;
  },
): Promise<Started> {
  const proc = NodeProcess.start({
    name: options.name,
    script: options.script,
    env: options.env,
    cwd: ctx.workDir,
    logDir: ctx.logDir,
    nodeArgs: options.nodeArgs,
    wrapper: options.wrapper,
  });
  ctx.processes.add(proc);
  const url = `http://127.0.0.1:${options.port}`;
  try {
    const readyMs = await proc.waitReady(`${url}${options.readyPath}`, options.readyTimeoutMs);
    return { process: proc, url, readyMs };
  } catch (error) {
    await stopProcess(ctx, proc);
    throw error;
  }
}

export async function stopProcess(ctx: BenchContext, proc: NodeProcess): Promise<void> {
  await proc.stop();
  ctx.processes.delete(proc);
}

/** An internal token as BRMS signs it (test/kit/auth.ts mintToken). */
export async function authorization(
  secret: string,
  identity: { organisationId: string; userId: string },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ org: identity.organisationId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.userId)
    .setIssuer('brms')
    .setIssuedAt(now)
    .setExpirationTime(now + 4 * 3600)
    .sign(new TextEncoder().encode(secret));
  return `Internal ${token}`;
}

/** Request bodies with EMAILS_PER_REQUEST addresses never used before in this run. */
export function freshEmails(prefix: string): () => string {
  let n = 0;
  return () => {
    const emails = [];
    for (let i = 0; i < EMAILS_PER_REQUEST; i++) emails.push(`${prefix}-${n++}@bench.test`);
    return JSON.stringify({ emails });
  };
}

/** One line of the printed table. */
export interface Row {
  scenario: string;
  measure: string;
  service: string;
  baseline: string;
  ratio: string;
  target: string;
  /** true met, false missed, undefined: no target. */
  met?: boolean;
}

export interface ScenarioOutcome {
  rows: Row[];
  /** Raw numbers, plans, statement lists: everything for the JSON file. */
  data: Record<string, unknown>;
  /** Text printed after the table (EXPLAIN output, statement comparison). */
  notes: string[];
  /** Set when the scenario could not produce a valid result (the command then exits non-zero). */
  error?: string;
}

export const fmt = {
  rps: (v: number) => `${v.toFixed(0)} req/s`,
  ms: (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`,
  /**
   * Two decimals, more where rounding would land on `bound` (the target) without the value being
   * there: 0.8498 against ≥ 0.85 prints 0.8498, not a 0.85 beside "NO".
   */
  ratio: (v: number, bound?: number) => {
    for (let digits = 2; digits < 6; digits++) {
      const text = v.toFixed(digits);
      if (bound === undefined || Number(text) !== bound || v === bound) return text;
    }
    return String(v);
  },
  mb: (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(0)} MB`),
};
