import { Ajv } from 'ajv';

/**
 * Semantic comparison of the reference OpenAPI document with the generated one. Pure: documents
 * in, differences out. `$ref`s are resolved first, so Nest's component schemas and the reference's
 * inline schemas compare equal when they say the same thing. oasdiff only reports what it deems
 * breaking; this reports every difference, word for word.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** missing: the reference has it and ours does not; extra: the opposite; changed: both, unequal. */
export type DifferenceKind = 'missing' | 'extra' | 'changed';

export interface ContractDifference {
  /**
   * Object members join with dots, array members are bracketed by what identifies them:
   * `paths./api/users.post.responses.200.content.application/json.schema.items.required[userId]`,
   * `tags[User].description`, `allOf[0]`.
   */
  path: string;
  kind: DifferenceKind;
  reference?: Json;
  generated?: Json;
}

/** One entry of openapi/allowed-differences.json. */
export interface AllowedDifference {
  path: string;
  reason: string;
}

export interface ContractReport {
  /** Differences no allow-list entry explains: each one fails the check. */
  failures: ContractDifference[];
  /** Differences an entry explains, with that entry. */
  allowed: { difference: ContractDifference; entry: AllowedDifference }[];
  /** Entries that explain nothing (any longer), or that could hide a change to the reference. */
  badEntries: { entry: AllowedDifference; problem: string }[];
  ok: boolean;
}

/**
 * Compares `generated` against `reference` and applies the allow-list. Only `extra` differences
 * can be allowed, and only under a path the reference does not define: an entry may document an
 * addition, never excuse a change to or an omission of what the reference says.
 */
export function compareContracts(
  reference: Json,
  generated: Json,
  allowList: readonly AllowedDifference[],
): ContractReport {
  const ref = prepare(reference);
  const ours = prepare(generated);
  const differences = diffJson(ref, ours);
  const referencePaths = new Set(listPaths(ref));

  const used = new Set<AllowedDifference>();
  const failures: ContractDifference[] = [];
  const allowed: ContractReport['allowed'] = [];
  for (const difference of differences) {
    const entry =
      difference.kind === 'extra'
        ? allowList.find((candidate) => isUnder(difference.path, candidate.path))
        : undefined;
    if (entry) {
      used.add(entry);
      allowed.push({ difference, entry });
    } else {
      failures.push(difference);
    }
  }

  const badEntries: ContractReport['badEntries'] = [];
  for (const entry of allowList) {
    if (referencePaths.has(entry.path)) {
      badEntries.push({
        entry,
        problem: 'names something the reference defines; only additions can be allowed',
      });
    } else if (!used.has(entry)) {
      badEntries.push({ entry, problem: 'matches no difference (stale): remove it' });
    }
  }
  return {
    failures,
    allowed,
    badEntries,
    ok: failures.length === 0 && badEntries.length === 0,
  };
}

/** `path` is `prefix` or lies below it (segment-wise: `responses.40` is not under `responses.4`). */
function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/**
 * What is compared: the whole document with `$ref`s resolved, minus the component sections that
 * exist only to be referenced (`schemas`, `responses`, ...). `securitySchemes` stays: it is named,
 * not referenced.
 */
function prepare(document: Json): Json {
  const resolved = resolveRefs(document);
  if (!isObject(resolved)) return resolved;
  const { components, ...rest } = resolved;
  if (!isObject(components)) return resolved;
  const { securitySchemes } = components;
  return { ...rest, components: securitySchemes === undefined ? {} : { securitySchemes } };
}

/**
 * Replaces every local `{ "$ref": "#/..." }` with (a resolved copy of) its target. Siblings of
 * `$ref` are ignored, as OpenAPI 3.0 says. A reference cycle is left as the `$ref` object, and an
 * unresolvable one too, so it shows up as a difference rather than crashing the check.
 */
export function resolveRefs(document: Json): Json {
  const visit = (value: Json, resolving: readonly string[]): Json => {
    if (Array.isArray(value)) return value.map((item) => visit(item, resolving));
    if (!isObject(value)) return value;
    const ref = value.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      const target = lookupPointer(document, ref);
      if (target === undefined || resolving.includes(ref)) return { $ref: ref };
      return visit(target, [...resolving, ref]);
    }
    return Object.fromEntries(
      Object.entries(value).map(([key, member]) => [key, visit(member, resolving)]),
    );
  };
  return visit(document, []);
}

function lookupPointer(document: Json, pointer: string): Json | undefined {
  let current: Json | undefined = document;
  for (const raw of pointer.slice(2).split('/')) {
    let token: string;
    try {
      token = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    } catch {
      return undefined; // malformed %-escape
    }
    if (Array.isArray(current)) current = current[Number(token)];
    else if (isObject(current)) current = current[token];
    else return undefined;
  }
  return current;
}

/** Every difference between two JSON values, in document order. */
export function diffJson(reference: Json, generated: Json): ContractDifference[] {
  const out: ContractDifference[] = [];
  diffNode(reference, generated, '', out);
  return out;
}

function diffNode(reference: Json, generated: Json, path: string, out: ContractDifference[]): void {
  const refChildren = children(reference, path);
  const genChildren = children(generated, path);
  if (!refChildren || !genChildren || Array.isArray(reference) !== Array.isArray(generated)) {
    if (!deepEqual(reference, generated)) {
      out.push({ path, kind: 'changed', reference, generated });
    }
    return;
  }
  for (const [segment, refChild] of refChildren) {
    const childPath = path + segment;
    const genChild = genChildren.get(segment);
    if (genChild === undefined) out.push({ path: childPath, kind: 'missing', reference: refChild });
    else diffNode(refChild, genChild, childPath, out);
  }
  for (const [segment, genChild] of genChildren) {
    if (!refChildren.has(segment)) {
      out.push({ path: path + segment, kind: 'extra', generated: genChild });
    }
  }
  if (path === 'tags') diffTagOrder(reference, generated, out);
}

/** The reference's tag order is part of the contract (it is the order documentation shows). */
function diffTagOrder(reference: Json, generated: Json, out: ContractDifference[]): void {
  const names = (tags: Json): string[] =>
    Array.isArray(tags)
      ? tags.map((tag) => (isObject(tag) ? canonical(tag.name ?? null) : ''))
      : [];
  const refNames = names(reference);
  const genNames = names(generated);
  const common = new Set(refNames.filter((name) => genNames.includes(name)));
  const refOrder = refNames.filter((name) => common.has(name));
  const genOrder = genNames.filter((name) => common.has(name));
  if (!deepEqual(refOrder, genOrder)) {
    out.push({ path: 'tags', kind: 'changed', reference: refOrder, generated: genOrder });
  }
}

/**
 * A container's members keyed by the path segment that names them, or undefined for a scalar.
 * Arrays whose order means nothing are keyed by what identifies a member, so that reordering is
 * no difference and a change names the member rather than an index.
 */
function children(value: Json, path: string): Map<string, Json> | undefined {
  if (isObject(value)) {
    return new Map(Object.entries(value).map(([key, member]) => [path ? `.${key}` : key, member]));
  }
  if (!Array.isArray(value)) return undefined;
  const key = arrayMemberKey(path);
  const members = new Map<string, Json>();
  value.forEach((member, index) => {
    const label = key ? key(member) : String(index);
    let segment = `[${label}]`;
    for (let n = 2; members.has(segment); n++) segment = `[${label}](${n})`;
    members.set(segment, member);
  });
  return members;
}

/** Arrays that are sets: schema `required` and `enum`, an operation's `tags`, `type` lists. */
const SET_KEYS = new Set(['required', 'enum', 'tags', 'type']);
/** The scopes of a security requirement (`security[internalAuth].internalAuth`): a set too. */
const SECURITY_SCOPES = /(^|\.)security\[[^\]]*\]\.[^.]+$/;

function arrayMemberKey(path: string): ((member: Json) => string) | undefined {
  const last = lastSegment(path);
  if (path === 'tags') {
    return (tag) => (isObject(tag) ? canonical(tag.name ?? null) : canonical(tag));
  }
  if (last === 'parameters') {
    return (parameter) =>
      isObject(parameter)
        ? `${canonical(parameter.in ?? null)}:${canonical(parameter.name ?? null)}`
        : canonical(parameter);
  }
  if (last === 'security') {
    // A requirement object is identified by the schemes it requires together.
    return (requirement) =>
      isObject(requirement) ? Object.keys(requirement).sort().join('+') : canonical(requirement);
  }
  if (SET_KEYS.has(last) || SECURITY_SCOPES.test(path)) return canonical;
  return undefined;
}

function lastSegment(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot === -1 ? path : path.slice(dot + 1);
}

function canonical(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Every path `diffJson` could name inside `value`, containers included. */
function listPaths(value: Json, path = ''): string[] {
  const members = children(value, path);
  if (!members) return [path];
  return [path, ...[...members].flatMap(([segment, member]) => listPaths(member, path + segment))];
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => deepEqual(item, b[index]))
    );
  }
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every((key) => key in b && deepEqual(a[key], b[key]))
  );
}

/** A value on one line, shortened. */
export function showJson(value: Json | undefined): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One line per difference, for the check's output and for test failure messages. */
export function describeDifference(difference: ContractDifference): string {
  switch (difference.kind) {
    case 'missing':
      return `missing  ${difference.path}  (reference: ${showJson(difference.reference)})`;
    case 'extra':
      return `extra    ${difference.path}  (generated: ${showJson(difference.generated)})`;
    case 'changed':
      return `changed  ${difference.path}  (reference: ${showJson(difference.reference)}, generated: ${showJson(difference.generated)})`;
  }
}

const allowListSchema = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1 },
      // One line: the reason is read in review next to the path it excuses.
      reason: { type: 'string', minLength: 10, pattern: '^[^\\n]+$' },
    },
    required: ['path', 'reason'],
    additionalProperties: false,
  },
} as const;

const validateAllowList = new Ajv({ allErrors: true }).compile<AllowedDifference[]>(
  allowListSchema,
);

/** Validates the parsed allow-list file; throws naming the offending entries. */
export function parseAllowList(value: unknown): AllowedDifference[] {
  if (!validateAllowList(value)) {
    const problems = (validateAllowList.errors ?? []).map(
      (error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`,
    );
    throw new Error(`Invalid allow-list: ${problems.join('; ')}`);
  }
  const seen = new Set<string>();
  for (const entry of value) {
    if (seen.has(entry.path)) throw new Error(`Invalid allow-list: duplicate path ${entry.path}`);
    seen.add(entry.path);
  }
  return value;
}
