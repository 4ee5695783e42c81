import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SignJWT } from 'jose';
import type { LoadOptions } from './load.js';
import type { BenchPostgres, Owner } from './postgres.js';
import { NodeProcess, freePort } from './processes.js';
import type { SmtpPeer } from './smtp-peer.js';

export const PROFILES = {
  // What the targets are judged on. Two rounds in opposite orders: a single round always
  // measures one side second.
  quick: {
    name: 'quick',
    warmupSeconds: 3,
    durationSeconds: 10,
    rounds: 2, // of scenarios 1 and 2
    drainCount: 10_000, // queued, then drained (a multiple of 10)
    listingSizes: [10_000, 1_000_000], // the small organisation and the large one
    listingSeconds: 5,
    startupRuns: 3,
  },
  // Every scenario runs and no mail may be lost or duplicated; its numbers mean nothing. 1 000
  // drained and 100 k listed still cross pg-boss's batches and the listing's index.
  smoke: {
    name: 'smoke',
    warmupSeconds: 1,
    durationSeconds: 2,
    rounds: 1,
    drainCount: 1_000,
    listingSizes: [10_000, 100_000],
    listingSeconds: 1,
    startupRuns: 1,
  },
};
export type Profile = (typeof PROFILES)[keyof typeof PROFILES];

/** dist/ of this build: the service is dist/src/main.js, the bench dist/bench/. */
export const DIST = fileURLToPath(new URL('../../', import.meta.url));

/** The Node.js flags of `npm run start:prod`, so the bench runs the service as it is deployed. */
export const SERVICE_NODE_FLAGS = (
  JSON.parse(readFileSync(`${DIST}../package.json`, 'utf8')) as { scripts: Record<string, string> }
).scripts['start:prod']
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** BENCH_CPU_PROF=<dir>: a V8 CPU profile of every service and baseline process. */
const PROFILING = process.env.BENCH_CPU_PROF
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
  : [];

export interface BenchContext {
  profile: Profile;
  pg: BenchPostgres;
  peer: SmtpPeer;
  /** Working directory of every process started (no .env there). */
  workDir: string;
  logDir: string;
  secret: string;
  /** Processes still running, stopped on exit whatever happens. */
  processes: Set<NodeProcess>;
}

export interface Started {
  process: NodeProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 of the readiness URL. */
  readyMs: number;
}

/**
 * Starts the service (`dist/src/main.js`, production mode, start:prod's flags) or a baseline
 * script of bench/baseline (its configuration read with the service's loader from the same
 * environment), and waits until it is ready.
 */
export async function start(
  ctx: BenchContext,
  name: string,
  databaseUrl: string,
  options: { baseline?: string; env?: Record<string, string> } = {},
): Promise<Started> {
  const port = await freePort();
  const proc = NodeProcess.start({
    name,
    script: options.baseline
      ? `${DIST}bench/baseline/${options.baseline}.js`
      : `${DIST}src/main.js`,
    nodeArgs: options.baseline ? PROFILING : [...SERVICE_NODE_FLAGS, ...PROFILING],
    env: {
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
      // Limits must not shape the measurement; the invitations budget cannot be off (min 1).
      RATE_LIMIT_REQUESTS_PER_MINUTE: '0',
      RATE_LIMIT_INVITATIONS_PER_HOUR: '1000000',
      ...options.env,
    },
    cwd: ctx.workDir,
    logDir: ctx.logDir,
  });
  ctx.processes.add(proc);
  const url = `http://127.0.0.1:${port}`;
  try {
    const ready = options.baseline ? '/ready' : '/api/health/ready';
    return { process: proc, url, readyMs: await proc.waitReady(`${url}${ready}`) };
  } catch (error) {
    await stop(ctx, proc);
    throw error;
  }
}

export async function stop(ctx: BenchContext, proc: NodeProcess): Promise<void> {
  await proc.stop();
  ctx.processes.delete(proc);
}

/** An internal token as BRMS signs it (test/kit/auth.ts mintToken). */
export async function authorization(secret: string, identity: Owner): Promise<string> {
  const token = await new SignJWT({ org: identity.organisationId })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(identity.userId)
    .setIssuer('brms')
    .setIssuedAt()
    .setExpirationTime('4h')
    .sign(new TextEncoder().encode(secret));
  return `Internal ${token}`;
}

/** The invite load: 20 connections, each request 10 addresses never used before in this run. */
export async function inviteLoad(
  ctx: BenchContext,
  target: Started,
  owner: Owner,
  emailPrefix: string,
): Promise<LoadOptions> {
  let n = 0;
  return {
    url: target.url,
    method: 'POST',
    path: '/api/users',
    headers: {
      authorization: await authorization(ctx.secret, owner),
      'content-type': 'application/json',
    },
    body: () =>
      JSON.stringify({
        emails: Array.from({ length: 10 }, () => `${emailPrefix}-${n++}@bench.test`),
      }),
    connections: 20,
    warmupSeconds: ctx.profile.warmupSeconds,
    durationSeconds: ctx.profile.durationSeconds,
  };
}

/** One line of the printed table; `met` undefined: no target. */
export interface Row {
  scenario?: string;
  measure: string;
  service: string;
  baseline?: string;
  ratio?: string;
  target?: string;
  met?: boolean;
}

export interface ScenarioOutcome {
  rows: Row[];
  /** Text printed after the table. */
  notes?: string[];
  /** Set when the scenario could not produce a valid result (the command then exits non-zero). */
  error?: string;
}

export const fmt = {
  rps: (v: number) => `${v.toFixed(0)} req/s`,
  ms: (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`,
  /** Two decimals, more where rounding would land on the target `bound` without being there. */
  ratio: (v: number, bound?: number) => {
    for (let digits = 2; digits < 6; digits++) {
      const text = v.toFixed(digits);
      if (bound === undefined || Number(text) !== bound || v === bound) return text;
    }
    return String(v);
  },
  mb: (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(0)} MB`),
  /** A data set's size as the table names it: `10 k`, `1 M`. */
  size: (n: number) => (n >= 1e6 ? `${n / 1e6} M` : `${n / 1e3} k`),
};

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}
