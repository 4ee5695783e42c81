import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  combineReferences,
  compareContracts,
  describeDifference,
  diffJson,
  parseAllowList,
  showJson,
  type AllowedDifference,
  type ContractDifference,
  type Json,
} from './contract-diff.ts';
import { OASDIFF_PACKAGE, oasdiffBreaking } from './oasdiff.ts';

/** The repository's root, whatever the working directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The contract files, relative to the repository root. `references` together are the contract:
 * the seed (inviteUsers) first, then GoRules' User, Invitation, Audit log and Personal access token
 * operations.
 */
export const OPENAPI_FILES = {
  references: ['openapi/reference.yaml', 'openapi/gorules-reference.yaml'],
  committed: 'openapi/openapi.json',
  allowList: 'openapi/allowed-differences.json',
} as const;

export type SectionStatus = 'passed' | 'failed' | 'skipped';

export interface CheckSection {
  name: string;
  status: SectionStatus;
  lines: string[];
}

/** A reference parsed, and its file (oasdiff reads files; messages name them). */
export interface ReferenceFile {
  path: string;
  document: Json;
}

export interface OpenApiCheckInput {
  /** The references, the seed first: oasdiff compares with the seed alone. */
  references: readonly ReferenceFile[];
  /** The document generated now, and its committed serialization. */
  generated: Json;
  generatedText: string;
  /** The committed file's text; undefined when it does not exist. */
  committedText: string | undefined;
  /** openapi/allowed-differences.json, parsed but not yet validated. */
  allowList: unknown;
  /** Path of the oasdiff binary; undefined where it is not installed. */
  oasdiffBinary: string | undefined;
}

export interface OpenApiCheckResult {
  ok: boolean;
  sections: CheckSection[];
}

const MAX_LISTED = 25;

/**
 * The three checks of `npm run openapi:check`. Each runs whatever the others find, so one run
 * shows every problem.
 */
export async function checkOpenApi(input: OpenApiCheckInput): Promise<OpenApiCheckResult> {
  const sections = [checkDrift(input), await checkBreaking(input), checkSemantics(input)];
  return { ok: sections.every((section) => section.status !== 'failed'), sections };
}

function checkDrift(input: OpenApiCheckInput): CheckSection {
  const name = `committed ${OPENAPI_FILES.committed} is up to date`;
  if (input.committedText === input.generatedText) return { name, status: 'passed', lines: [] };
  const hint = `Run \`npm run openapi\` and commit ${OPENAPI_FILES.committed}.`;
  if (input.committedText === undefined) {
    return { name, status: 'failed', lines: [`${OPENAPI_FILES.committed} does not exist.`, hint] };
  }
  let committed: Json;
  try {
    committed = JSON.parse(input.committedText) as Json;
  } catch {
    return { name, status: 'failed', lines: [`${OPENAPI_FILES.committed} is not JSON.`, hint] };
  }
  // Name what moved, reading "reference" as the committed file and "generated" as the code.
  const differences = diffJson(committed, input.generated);
  const lines = [`${OPENAPI_FILES.committed} differs from the document the code generates.`, hint];
  if (differences.length === 0)
    lines.push('(same content: only formatting or the order of a list differs)');
  lines.push(...differences.slice(0, MAX_LISTED).map(describeDrift));
  if (differences.length > MAX_LISTED) lines.push(`... ${differences.length - MAX_LISTED} more`);
  return { name, status: 'failed', lines };
}

/** A drift difference, with the committed file in the reference's place. */
function describeDrift(difference: ContractDifference): string {
  switch (difference.kind) {
    case 'missing':
      return `removed  ${difference.path}  (committed: ${showJson(difference.reference)})`;
    case 'extra':
      return `added    ${difference.path}  (generated: ${showJson(difference.generated)})`;
    case 'changed':
      return `changed  ${difference.path}  (committed: ${showJson(difference.reference)}, generated: ${showJson(difference.generated)})`;
  }
}

/**
 * oasdiff runs against the seed only: it would report every GoRules operation not implemented yet
 * as a removed endpoint, and it has no waiver that follows the allow-list's reasons. The semantic
 * comparison covers every reference, word for word.
 */
async function checkBreaking(input: OpenApiCheckInput): Promise<CheckSection> {
  const seed = input.references[0];
  const name = `oasdiff breaking ${relativeName(seed.path)} generated --fail-on ERR`;
  if (!input.oasdiffBinary) {
    return {
      name,
      status: 'skipped',
      lines: [
        `oasdiff is not installed here (${OASDIFF_PACKAGE} exists for Linux x64 only): breaking-change check skipped; the other checks still run.`,
      ],
    };
  }
  const dir = await mkdtemp(join(tmpdir(), 'brms-openapi-'));
  try {
    const generatedPath = join(dir, 'generated.json');
    await writeFile(generatedPath, input.generatedText);
    const result = await oasdiffBreaking(input.oasdiffBinary, seed.path, generatedPath);
    return {
      name,
      status: result.breaking ? 'failed' : 'passed',
      lines: result.output ? result.output.split('\n') : [],
    };
  } catch (error) {
    return { name, status: 'failed', lines: [(error as Error).message] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function relativeName(path: string): string {
  return path.startsWith(REPO_ROOT) ? path.slice(REPO_ROOT.length) : path;
}

function checkSemantics(input: OpenApiCheckInput): CheckSection {
  const names = input.references.map((reference) => relativeName(reference.path));
  const name = `semantic comparison with ${names.join(' + ')}`;
  let allowList;
  try {
    allowList = parseAllowList(input.allowList);
  } catch (error) {
    return {
      name,
      status: 'failed',
      lines: [`${OPENAPI_FILES.allowList}: ${(error as Error).message}`],
    };
  }
  const combined = combineReferences(
    input.references.map((reference, index) => ({
      name: names[index],
      document: reference.document,
    })),
  );
  const report = compareContracts(combined.document, input.generated, allowList);
  const ok = report.ok && combined.conflicts.length === 0;
  const lines = [
    ...combined.conflicts.map((conflict) => `references conflict: ${conflict}`),
    ...report.failures.map(describeDifference),
    ...report.badEntries.map(({ entry, problem }) => `allow-list entry ${entry.path}: ${problem}`),
  ];
  if (!ok) {
    lines.push(
      `Fix the code (DTO decorators, src/openapi/openapi-document.ts), or add { "path", "reason" } to ${OPENAPI_FILES.allowList} for an addition the references lack, with "issue" for a gap an open issue closes.`,
    );
  }
  const entries = new Set(report.allowed.map(({ entry }) => entry));
  lines.push(
    `${report.allowed.length} allowed difference(s) under ${entries.size} allow-list entr${entries.size === 1 ? 'y' : 'ies'}.`,
  );
  lines.push(...describeToDo(allowList));
  return { name, status: ok ? 'passed' : 'failed', lines };
}

/** The allow-list's entries with an issue, counted per issue: what is not implemented yet. */
function describeToDo(allowList: readonly AllowedDifference[]): string[] {
  const perIssue = new Map<number, number>();
  for (const { issue } of allowList) {
    if (issue !== undefined) perIssue.set(issue, (perIssue.get(issue) ?? 0) + 1);
  }
  if (perIssue.size === 0) return [];
  const counts = [...perIssue]
    .sort(([a], [b]) => a - b)
    .map(([issue, count]) => `issue ${issue}: ${count}`);
  return [`Not implemented yet (allow-list entries with an issue): ${counts.join(', ')}.`];
}

/** Human-readable summary for the terminal / CI log. */
export function formatCheckResult(result: OpenApiCheckResult): string {
  const label: Record<SectionStatus, string> = { passed: 'PASS', failed: 'FAIL', skipped: 'SKIP' };
  const out: string[] = [];
  for (const section of result.sections) {
    out.push(`${label[section.status]}  ${section.name}`);
    for (const line of section.lines) out.push(`      ${line}`);
  }
  out.push(result.ok ? 'openapi:check passed' : 'openapi:check FAILED');
  return out.join('\n');
}
