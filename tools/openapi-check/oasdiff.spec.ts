import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { findOasdiff, oasdiffBreaking } from './oasdiff.ts';

// A parsed copy of the reference, mutated in place: the paths walked are the reference's own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Node = Record<string, any>;

const referencePath = resolve('openapi/reference.yaml');
const binary = findOasdiff();
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'brms-oasdiff-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The reference with one change, written as JSON (oasdiff reads either). */
function mutatedReference(name: string, mutate: (operation: Node) => void): string {
  const document = parse(readFileSync(referencePath, 'utf8')) as Node;
  mutate(document.paths['/api/users'].post);
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(document));
  return file;
}

const responseItem = (operation: Node): Node =>
  operation.responses['200'].content['application/json'].schema.items;

/**
 * The binary ships in an optional, linux-x64-only package. Where it is absent the check says so
 * and skips that step (see openapi-check.spec.ts); these tests then only assert the absence is
 * expected, so they cannot pass on CI (linux-x64) without actually running oasdiff.
 */
function oasdiffOrExpectedAbsence(): string | undefined {
  if (!binary) expect(`${process.platform}-${process.arch}`).not.toBe('linux-x64');
  return binary;
}

describe('oasdiff', () => {
  it('is installed exactly where its package exists (linux-x64)', () => {
    expect(binary !== undefined).toBe(process.platform === 'linux' && process.arch === 'x64');
  });

  it('finds no breaking change from the reference to itself', async () => {
    const oasdiff = oasdiffOrExpectedAbsence();
    if (!oasdiff) return;
    await expect(oasdiffBreaking(oasdiff, referencePath, referencePath)).resolves.toEqual({
      breaking: false,
      output: expect.any(String),
    });
  });

  it.each([
    {
      change: 'a response format changes',
      mutate: (operation: Node) => {
        responseItem(operation).properties.email.format = 'uuid';
      },
      rule: 'response-property-type-changed',
    },
    {
      change: 'a required response property becomes optional',
      mutate: (operation: Node) => {
        const item = responseItem(operation);
        item.required = (item.required as string[]).filter((p) => p !== 'userId');
      },
      rule: 'response-property-became-optional',
    },
    {
      change: 'a request property format changes',
      mutate: (operation: Node) => {
        const body = operation.requestBody.content['application/json'].schema;
        body.properties.emails.items.format = 'uuid';
      },
      rule: 'request-property-type-changed',
    },
    {
      change: 'the success status becomes 201',
      mutate: (operation: Node) => {
        operation.responses = { '201': operation.responses['200'] };
      },
      rule: 'response-success-status-removed',
    },
  ])('reports a breaking change when $change ($rule)', async ({ change, mutate, rule }) => {
    const oasdiff = oasdiffOrExpectedAbsence();
    if (!oasdiff) return;
    const revision = mutatedReference(change.replaceAll(' ', '-'), mutate);
    const result = await oasdiffBreaking(oasdiff, referencePath, revision);
    expect(result.breaking).toBe(true);
    expect(result.output).toContain(rule);
  });

  it('throws, rather than reporting no changes, when it cannot read a document', async () => {
    const oasdiff = oasdiffOrExpectedAbsence();
    if (!oasdiff) return;
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'openapi: [');
    await expect(oasdiffBreaking(oasdiff, referencePath, broken)).rejects.toThrow(
      /oasdiff failed \(exit \d+\)/,
    );
  });
});
