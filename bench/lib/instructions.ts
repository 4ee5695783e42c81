import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess, stopProcess, type BenchContext, type Started } from './context.js';
import { runAmount, type LoadOptions } from './load.js';

const run = promisify(execFile);

/**
 * Instructions per request under valgrind's callgrind: the same for the same program and inputs
 * whatever else the machine is doing, where CPU time per request moved by ±20 % between identical
 * runs on these shared cores. Callgrind starts with instrumentation off (the process boots and
 * warms up about five times slower than natively, not fifty); `callgrind_control -i on` starts the
 * count after the warm-up and `-i off` ends it, so the count holds the measured requests only (JIT
 * compilation, GC and every thread of the process included).
 */
export interface InstructionCount {
  requests: number;
  instructions: number;
  perRequest: number;
}

export const CALLGRIND = [
  'valgrind',
  '--tool=callgrind',
  '--instr-atstart=no',
  // V8 writes and rewrites machine code in anonymous memory: valgrind must notice every change.
  '--smc-check=all-non-file',
];

/** Whether valgrind (Debian package `valgrind`) is installed. */
export async function callgrindAvailable(): Promise<boolean> {
  return run('valgrind', ['--version']).then(
    () => true,
    () => false,
  );
}

export async function countInstructions(
  ctx: BenchContext,
  options: {
    name: string;
    script: string;
    nodeArgs: string[];
    env: Record<string, string>;
    readyPath: string;
    port: number;
    load: (target: Started) => Promise<LoadOptions>;
    warmupRequests: number;
    requests: number;
  },
): Promise<InstructionCount> {
  const outFile = join(ctx.workDir, `${options.name}.callgrind`);
  const started = await startProcess(ctx, {
    ...options,
    wrapper: [...CALLGRIND, `--callgrind-out-file=${outFile}`],
    readyTimeoutMs: 300_000,
  });
  const pid = started.process.pid;
  // vgdb finds the process by files named after its pid, LOGNAME (or USER) and HOST (or HOSTNAME)
  // as valgrind's environment has them: the bench's process starts the service with its own
  // environment, so callgrind_control gets the same values, whatever the developer's shell has.
  const controlEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['LOGNAME', 'USER', 'HOST', 'HOSTNAME']) {
    if (options.env[name] === undefined) delete controlEnv[name];
    else controlEnv[name] = options.env[name];
  }
  const control = (...args: string[]) =>
    run('callgrind_control', [...args, String(pid)], { env: controlEnv });
  let measured;
  try {
    const load = await options.load(started);
    await runAmount(load, options.warmupRequests);
    await control('--instr=on');
    measured = await runAmount(load, options.requests);
    await control('--instr=off');
  } finally {
    // callgrind writes its counts when the process exits.
    await stopProcess(ctx, started.process);
  }
  if (measured.non2xx > 0 || measured.errors > 0) {
    throw new Error(
      `${options.name}: ${measured.non2xx} non-2xx, ${measured.errors} errors under callgrind`,
    );
  }
  const instructions = totalInstructions(outFile);
  return {
    requests: measured.requests,
    instructions,
    perRequest: instructions / measured.requests,
  };
}

/** Sums the counts of callgrind's output (one file per dump: `<out>`, `<out>.N`). */
function totalInstructions(outFile: string): number {
  const dir = dirname(outFile);
  const base = basename(outFile);
  let total = 0;
  let files = 0;
  for (const name of readdirSync(dir)) {
    if (name !== base && !name.startsWith(`${base}.`)) continue;
    const text = readFileSync(join(dir, name), 'utf8');
    // `totals:` is what was counted; `summary:` (written first) can be 0 when counting started late.
    const match = /^totals:\s+(\d+)/m.exec(text) ?? /^summary:\s+(\d+)/m.exec(text);
    if (match) {
      total += Number(match[1]);
      files++;
    }
  }
  if (files === 0 || total === 0) throw new Error(`callgrind counted nothing (${outFile})`);
  return total;
}
