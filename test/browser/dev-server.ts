import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The compiled entry points: `npm test` builds before it runs the tests. */
export const SERVER_ENTRY = resolve('dist/src/main.js');
export const CLI_ENTRY = resolve('dist/src/cli/main.js');

/**
 * The environment of a fresh shell: none of the variables the test setup gives this process
 * (DATABASE_URL, NODE_ENV=test, INTERNAL_AUTH_SECRET, LOG_LEVEL …), so a child runs exactly as
 * `npm start` or `npm run cli` would on a clean clone.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PATH, HOME, LANG, TMPDIR } = process.env;
  return Object.fromEntries(
    Object.entries({ PATH, HOME, LANG, TMPDIR, ...extra }).filter(([, v]) => v !== undefined),
  );
}

/** A working directory standing in for a fresh clone: `.data/` will be created inside it. */
export function freshWorkdir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755); // the embedded PostgreSQL runs as the postgres user when we are root
  return dir;
}

/** Makes `workdir` a stand-in for a built clone: its package.json, the build and node_modules. */
export function linkClone(
  workdir: string,
  entries = ['package.json', 'node_modules', 'dist'],
): void {
  for (const entry of entries) symlinkSync(resolve(entry), join(workdir, entry));
}

export function removeWorkdir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** The pid PostgreSQL wrote for the embedded server of `workdir`, if one runs. */
export function postmasterPid(workdir: string): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(workdir, '.data/postgres/postmaster.pid'), 'utf8').split('\n')[0],
    );
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface DevServer {
  /** http://127.0.0.1:<port> */
  url: string;
  /** What `npm start` printed after "Authorization: " (`Internal <token>`). */
  authorization: string;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGINT to its whole process group, as Ctrl-C in a terminal; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** A port nothing listens on now, for a server whose links (APP_URL) must name its real port. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolvePort(port));
    });
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`process ${child.pid} did not exit in ${timeoutMs}ms`)),
      timeoutMs,
    );
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveExit(code);
    });
  });
}

/**
 * Runs the built server the way `npm start` does on a clean clone (no DATABASE_URL, development),
 * in `workdir`, on a free port, and waits until it printed its URL and the demo Authorization
 * value.
 */
export async function startDevServer(
  workdir: string,
  {
    port = 0,
    timeoutMs = 90_000,
    viaNpm = false,
  }: {
    port?: number;
    timeoutMs?: number;
    /** Through `npm run start:prod`, the step `npm start` ends in; needs `linkClone(workdir)`. */
    viaNpm?: boolean;
  } = {},
): Promise<DevServer> {
  const [command, args] = viaNpm
    ? ['npm', ['run', '-s', 'start:prod']]
    : [process.execPath, ['--enable-source-maps', SERVER_ENTRY]];
  const child = spawn(command, args, {
    cwd: workdir,
    env: cleanEnv({ PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, like a job in a terminal, which Ctrl-C signals as a whole.
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));

  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    process.kill(-child.pid!, 'SIGINT');
    try {
      return await waitForExit(child, 30_000);
    } catch (error) {
      // Last resort, so no server outlives the test: the process and its PostgreSQL.
      child.kill('SIGKILL');
      const pid = postmasterPid(workdir);
      if (pid && isAlive(pid)) process.kill(pid, 'SIGINT');
      throw error;
    }
  };

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listening = /listening on (http:\/\/\S+)/.exec(output);
    const authorization = /^Authorization: (Internal \S+)$/m.exec(output);
    if (listening && authorization) {
      return {
        url: listening[1].replace('localhost', '127.0.0.1'),
        authorization: authorization[1],
        output: () => output,
        stop,
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop().catch(() => undefined);
      throw new Error(`the server did not start (exit code ${child.exitCode}):\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
