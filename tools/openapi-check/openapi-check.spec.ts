import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import type { Json } from './contract-diff.ts';
import { findOasdiff } from './oasdiff.ts';
import {
  checkOpenApi,
  formatCheckResult,
  type OpenApiCheckInput,
  type OpenApiCheckResult,
} from './openapi-check.ts';

type JsonObject = { [key: string]: Json };

const referencePath = resolve('openapi/reference.yaml');
const reference = parse(readFileSync(referencePath, 'utf8')) as Json;

/** A run where the "generated" document is the reference itself, committed as generated. */
function input(overrides: Partial<OpenApiCheckInput> = {}): OpenApiCheckInput {
  const generated = structuredClone(reference);
  const text = `${JSON.stringify(generated, null, 2)}\n`;
  return {
    references: [{ path: referencePath, document: reference }],
    generated,
    generatedText: text,
    committedText: text,
    allowList: [],
    oasdiffBinary: findOasdiff(),
    ...overrides,
  };
}

function section(result: OpenApiCheckResult, name: RegExp) {
  const found = result.sections.find((s) => name.test(s.name));
  if (!found) throw new Error(`no section ${String(name)} in ${formatCheckResult(result)}`);
  return found;
}

/** The reference with `items.properties.email.format` changed: both oasdiff and the diff object. */
function withChangedFormat(): { generated: Json; generatedText: string } {
  const generated = structuredClone(reference) as JsonObject;
  const item = (
    (
      ((generated.paths as JsonObject)['/api/users'] as JsonObject).post as {
        responses: {
          '200': { content: { 'application/json': { schema: { items: JsonObject } } } };
        };
      }
    ).responses['200'].content['application/json'].schema.items.properties as JsonObject
  ).email as JsonObject;
  item.format = 'uuid';
  return { generated, generatedText: `${JSON.stringify(generated, null, 2)}\n` };
}

describe('checkOpenApi', () => {
  it('passes when the committed document is current and matches the reference', async () => {
    const result = await checkOpenApi(input());
    expect(formatCheckResult(result)).toMatch(/openapi:check passed$/);
    expect(result.ok).toBe(true);
  });

  it('fails on a stale committed document, naming what moved and how to fix it', async () => {
    const committed = structuredClone(reference) as JsonObject;
    (committed.info as JsonObject).version = '0.9';
    const result = await checkOpenApi(
      input({ committedText: `${JSON.stringify(committed, null, 2)}\n` }),
    );
    expect(result.ok).toBe(false);
    const drift = section(result, /up to date/);
    expect(drift.status).toBe('failed');
    expect(drift.lines).toContain('Run `npm run openapi` and commit openapi/openapi.json.');
    expect(drift.lines).toContain('changed  info.version  (committed: "0.9", generated: "local")');
  });

  it('fails when the committed document differs only in formatting', async () => {
    const result = await checkOpenApi(input({ committedText: JSON.stringify(reference) }));
    expect(section(result, /up to date/).lines).toContain(
      '(same content: only formatting or the order of a list differs)',
    );
    expect(result.ok).toBe(false);
  });

  it('fails when there is no committed document', async () => {
    const result = await checkOpenApi(input({ committedText: undefined }));
    expect(section(result, /up to date/).lines[0]).toBe('openapi/openapi.json does not exist.');
    expect(result.ok).toBe(false);
  });

  it('fails on a change to the reference, in oasdiff (where installed) and the semantic diff', async () => {
    const changed = withChangedFormat();
    const result = await checkOpenApi(input({ ...changed, committedText: changed.generatedText }));
    expect(result.ok).toBe(false);
    expect(section(result, /up to date/).status).toBe('passed');
    expect(section(result, /oasdiff/).status).toBe(findOasdiff() ? 'failed' : 'skipped');
    const semantic = section(result, /semantic/);
    expect(semantic.status).toBe('failed');
    expect(semantic.lines).toContain(
      'changed  paths./api/users.post.responses.200.content.application/json.schema.items.properties.email.format  (reference: "email", generated: "uuid")',
    );
  });

  it('says so and runs the other checks where oasdiff is not installed', async () => {
    const changed = withChangedFormat();
    const result = await checkOpenApi(input({ ...changed, oasdiffBinary: undefined }));
    const oasdiff = section(result, /oasdiff/);
    expect(oasdiff.status).toBe('skipped');
    expect(oasdiff.lines[0]).toMatch(/not installed here .*skipped/);
    expect(section(result, /up to date/).status).toBe('failed');
    expect(section(result, /semantic/).status).toBe('failed');
    expect(formatCheckResult(result)).toContain('SKIP  oasdiff');
  });

  it('fails when the allow-list file is malformed', async () => {
    const result = await checkOpenApi(input({ allowList: [{ path: 'paths./x' }] }));
    expect(section(result, /semantic/).lines[0]).toMatch(
      /^openapi\/allowed-differences.json: Invalid allow-list: .*reason/,
    );
    expect(result.ok).toBe(false);
  });

  it('fails on a stale allow-list entry', async () => {
    const result = await checkOpenApi(
      input({ allowList: [{ path: 'paths./api/gone', reason: 'An endpoint that was removed' }] }),
    );
    expect(section(result, /semantic/).lines).toContain(
      'allow-list entry paths./api/gone: matches no difference (stale): remove it',
    );
    expect(result.ok).toBe(false);
  });
});
