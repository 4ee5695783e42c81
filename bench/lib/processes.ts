import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** A Node.js process the bench started (the service, the baseline, the mail loop). */
export class NodeProcess {
  readonly startedAt: number;
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.startedAt = performance.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? null : 0);
        resolve(this.exitCode);
      });
    });
  }

  /**
   * Starts `node <script>` with exactly `env` (nothing inherited but PATH and HOME, so a developer's
   * shell or .env cannot change what is measured) in `cwd`; stdout and stderr go to `logDir`.
   */
  static start(options: {
    name: string;
    script: string;
    env: Record<string, string>;
    cwd: string;
    logDir: string;
    nodeArgs?: string[];
    /** A program that runs node, with its arguments (`valgrind --tool=callgrind …`). */
    wrapper?: string[];
  }): NodeProcess {
    const logFile = join(options.logDir, `${options.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const [command, ...commandArgs] = [
      ...(options.wrapper ?? []),
      process.execPath,
      ...(options.nodeArgs ?? []),
      options.script,
    ];
    const child = spawn(command, commandArgs, {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => setTimeout(() => log.end(), 100));
    return new NodeProcess(options.name, child, logFile);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the exit code (null when killed by a signal) once the process has ended. */
  get exit(): Promise<number | null> {
    return this.exited;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Polls `url` until it answers 200; fails when the process exits or `timeoutMs` passes. */
  async waitReady(url: string, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running)
        throw new Error(`${this.name} exited (${this.exitCode}); see ${this.logFile}`);
      const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        (res) => res.status === 200,
        () => false,
      );
      if (ok) return performance.now() - this.startedAt;
      if (Date.now() > deadline) throw new Error(`${this.name} not ready in ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Resident set size of a process, from /proc (Linux); undefined elsewhere. */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process has used so far, in milliseconds (Linux; else undefined);
 * with `reapedChildren`, plus that of its children that ended and were waited for.
 */
export function cpuMs(pid: number, reapedChildren = false): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
    if (reapedChildren) ticks += Number(fields[13]) + Number(fields[14]); // cutime, cstime
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * CPU milliseconds used so far by `pid` and its child processes: the running ones, and the ended
 * ones it has waited for (PostgreSQL's postmaster reaps its backends, so a backend that closed
 * between two readings, e.g. an idle pool connection, stays counted instead of going negative).
 */
export function treeCpuMs(pid: number): number | undefined {
  const own = cpuMs(pid, true);
  if (own === undefined) return undefined;
  let total = own;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent === pid) total += cpuMs(Number(entry)) ?? 0;
    } catch {
      // the process ended meanwhile
    }
  }
  return total;
}

/** Samples a process's RSS until stopped; reports the highest sample and the kernel's high-water mark. */
export class RssSampler {
  private peak = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): { peakMb: number | undefined; highWaterMarkMb: number | undefined } {
    clearInterval(this.timer);
    this.sample();
    return { peakMb: this.peak || undefined, highWaterMarkMb: rssMb(this.pid, 'VmHWM') };
  }

  private sample(): void {
    this.peak = Math.max(this.peak, rssMb(this.pid) ?? 0);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
