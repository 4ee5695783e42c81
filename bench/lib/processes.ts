import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

/** A Node.js process the bench started (the service, a baseline, the mail loop). */
export class NodeProcess {
  readonly startedAt = performance.now();
  readonly exit: Promise<number | null>;
  private running = true;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exit = new Promise((resolve) => {
      child.once('exit', (code) => {
        this.running = false;
        resolve(code);
      });
    });
  }

  /**
   * Starts `node <script>` with exactly `env` (nothing inherited but PATH and HOME, so a developer's
   * shell or .env cannot change what is measured); stdout and stderr go to `<logDir>/<name>.log`.
   */
  static start(options: {
    name: string;
    script: string;
    env: Record<string, string>;
    cwd: string;
    logDir: string;
    nodeArgs?: string[];
  }): NodeProcess {
    const logFile = join(options.logDir, `${options.name}.log`);
    const log = openSync(logFile, 'a');
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    return new NodeProcess(options.name, child, logFile);
  }

  /** Polls `url` until it answers 200; returns milliseconds since spawn. */
  async waitReady(url: string): Promise<number> {
    await until(async () => {
      if (!this.running) throw new Error(`${this.name} exited; see ${this.logFile}`);
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return response?.status === 200;
    }, `${this.name} ready`);
    return performance.now() - this.startedAt;
  }

  /** The kernel's high-water mark of the resident set (Linux), in MB: the true peak so far. */
  peakRssMb(): number | undefined {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  }

  /** The resident set now (Linux), in MB. */
  rssMb(): number | undefined {
    const status = readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  }

  /** Starts the high-water mark of peakRssMb afresh (Linux clear_refs); false where refused. */
  resetPeakRss(): boolean {
    try {
      writeFileSync(`/proc/${this.child.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns true; fails with `what` after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
  everyMs = 20,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(everyMs);
  }
}
