import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compareContracts, combineReferences, type Json } from './contract-diff.ts';
import { findOasdiff } from './oasdiff.ts';
import {
  OPENAPI_FILES,
  REPO_ROOT,
  checkOpenApi,
  formatCheckResult,
  type OpenApiCheckInput,
} from './openapi-check.ts';
import {
  generateOpenApiDocument,
  serializeOpenApiDocument,
  type Service,
} from './openapi-generation.ts';

/**
 * `npm run openapi:check` as it runs on this repository: both references, the allow-list and the
 * document the code generates. It passes as committed, and fails when one word of GoRules'
 * reference changes or when any allow-list entry goes.
 */

type JsonObject = { [key: string]: Json };

/** The service from its sources, as Jest compiles them (the tool itself loads dist/). */
async function sourceService(): Promise<Service> {
  const [{ AppModule }, { APP_OPTIONS }, { buildOpenApiDocument }] = await Promise.all([
    import('../../src/app.module.js'),
    import('../../src/app.setup.js'),
    import('../../src/openapi/openapi-document.js'),
  ]);
  return { AppModule, APP_OPTIONS, buildOpenApiDocument };
}

const [seedFile, gorulesFile] = OPENAPI_FILES.references.map((file) => join(REPO_ROOT, file));
const seed = parse(readFileSync(seedFile, 'utf8')) as Json;
const gorules = parse(readFileSync(gorulesFile, 'utf8')) as Json;
const committedFile = join(REPO_ROOT, OPENAPI_FILES.committed);
const allowList = JSON.parse(
  readFileSync(join(REPO_ROOT, OPENAPI_FILES.allowList), 'utf8'),
) as JsonObject[];

let generated: Json;
let generatedText: string;

beforeAll(async () => {
  const document = await generateOpenApiDocument(sourceService);
  generated = document as unknown as Json;
  generatedText = await serializeOpenApiDocument(document, committedFile);
});

function input(overrides: { gorules?: Json; allowList?: unknown } = {}): OpenApiCheckInput {
  return {
    references: [
      { path: seedFile, document: seed },
      { path: gorulesFile, document: overrides.gorules ?? gorules },
    ],
    generated,
    generatedText,
    committedText: readFileSync(committedFile, 'utf8'),
    allowList: overrides.allowList ?? allowList,
    oasdiffBinary: findOasdiff(),
  };
}

/** GoRules' reference with the string at `segments` rewritten by `edit`. */
function mutated(segments: readonly string[], edit: (text: string) => string): Json {
  const document = structuredClone(gorules);
  let node = document as JsonObject;
  for (const segment of segments.slice(0, -1)) {
    node = (Array.isArray(node) ? node[Number(segment)] : node[segment]) as JsonObject;
    if (node === undefined) throw new Error(`no ${segments.join('/')} in the reference`);
  }
  const last = segments.at(-1)!;
  const before = node[last];
  if (typeof before !== 'string') throw new Error(`${segments.join('/')} is not a string`);
  const after = edit(before);
  if (after === before) throw new Error(`the edit leaves ${segments.join('/')} unchanged`);
  node[last] = after;
  return document;
}

function semanticLines(result: Awaited<ReturnType<typeof checkOpenApi>>): string[] {
  const section = result.sections.find((s) => s.name.startsWith('semantic comparison'));
  if (!section) throw new Error(formatCheckResult(result));
  return section.lines;
}

describe('openapi:check with both references', () => {
  it('passes on the committed references, allow-list and generated document', async () => {
    const result = await checkOpenApi(input());
    expect(formatCheckResult(result)).toMatch(/openapi:check passed$/);
    // The to-do line counts the allow-list's entries per issue, whatever they are today.
    const perIssue = new Map<number, number>();
    for (const { issue } of allowList as { issue?: number }[]) {
      if (issue !== undefined) perIssue.set(issue, (perIssue.get(issue) ?? 0) + 1);
    }
    const toDo = semanticLines(result).filter((line) => line.startsWith('Not implemented yet'));
    expect(toDo.join('')).toBe(
      perIssue.size === 0
        ? ''
        : `Not implemented yet (allow-list entries with an issue): ${[...perIssue]
            .sort(([a], [b]) => a - b)
            .map(([issue, count]) => `issue ${issue}: ${count}`)
            .join(', ')}.`,
    );
  });

  it.each([
    [
      "listInvitations' summary",
      ['paths', '/api/invitations', 'get', 'summary'],
      'List invitations',
      'List invites',
      'changed  paths./api/invitations.get.summary  (reference: "List invites", generated: "List invitations")',
    ],
    [
      "sendUserInvitation's description",
      ['paths', '/api/users/{userId}/invitation', 'post', 'description'],
      'email',
      'message',
      'changed  paths./api/users/{userId}/invitation.post.description',
    ],
    [
      'a status of the listInvitations filter',
      ['paths', '/api/invitations', 'get', 'parameters', '1', 'schema', 'enum', '1'],
      'accepted',
      'approved',
      'missing  paths./api/invitations.get.parameters[query:status].schema.enum[approved]',
    ],
    [
      "inviteUsers' description, which the seed states too",
      ['paths', '/api/users', 'post', 'description'],
      'invitation',
      'welcome',
      'references conflict: openapi/reference.yaml and openapi/gorules-reference.yaml disagree at paths./api/users.post.description',
    ],
    [
      "the User tag's description",
      ['tags', '3', 'description'],
      'users',
      'people',
      'references conflict: openapi/reference.yaml and openapi/gorules-reference.yaml disagree at tags[User]',
    ],
  ])('fails when one word of %s changes', async (_what, segments, word, replacement, line) => {
    const changed = mutated(segments, (text) => text.replace(word, replacement));
    const result = await checkOpenApi(input({ gorules: changed }));
    expect(result.ok).toBe(false);
    expect(semanticLines(result).some((l) => l.startsWith(line))).toBe(true);
  });

  it('fails when an allow-list entry is removed, naming the difference it explained', async () => {
    // An addition of ours that stays: the internal token beside GoRules' personalAccessToken.
    const entry = 'paths./api/personal-access-tokens.get.security[internalAuth]';
    const without = allowList.filter((allowed) => allowed.path !== entry);
    expect(without).toHaveLength(allowList.length - 1);
    const result = await checkOpenApi(input({ allowList: without }));
    expect(result.ok).toBe(false);
    expect(semanticLines(result).some((l) => l.startsWith(`extra    ${entry}  `))).toBe(true);
  });

  it('needs every allow-list entry: without any one of them the comparison fails', () => {
    const { document, conflicts } = combineReferences([
      { name: 'seed', document: seed },
      { name: 'gorules', document: gorules },
    ]);
    expect(conflicts).toEqual([]);
    const entries = allowList as unknown as { path: string; reason: string; issue?: number }[];
    const passing = entries.filter(
      (_entry, index) => compareContracts(document, generated, entries.toSpliced(index, 1)).ok,
    );
    expect(passing.map((entry) => entry.path)).toEqual([]);
  });
});
