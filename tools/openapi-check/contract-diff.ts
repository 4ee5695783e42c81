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

/**
 * One entry of openapi/allowed-differences.json. Without `issue` it documents an addition of ours
 * for good; with `issue` it is a gap the named issue closes (an operation or a shape of the
 * reference not implemented yet, or one of ours that goes), so the entries with an issue are the
 * to-do list of the remaining work.
 */
export interface AllowedDifference {
  path: string;
  reason: string;
  issue?: number;
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
 * Compares `generated` against `reference` and applies the allow-list. An entry without an issue
 * may document an addition (an `extra` difference under a path the reference does not define),
 * never excuse a change to or an omission of what the reference says. An entry with an issue
 * excuses any difference under its path until that issue lands. No entry may be broader than one
 * operation, unless its path is itself one difference (a path item missing or added as a whole),
 * so an entry can never hide something it does not name.
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
    const entry = allowList.find(
      (candidate) =>
        (candidate.issue !== undefined || difference.kind === 'extra') &&
        isUnder(difference.path, candidate.path),
    );
    if (entry) {
      used.add(entry);
      allowed.push({ difference, entry });
    } else {
      failures.push(difference);
    }
  }

  const differencePaths = new Set(differences.map((difference) => difference.path));
  const badEntries: ContractReport['badEntries'] = [];
  for (const entry of allowList) {
    if (!used.has(entry)) {
      badEntries.push({ entry, problem: 'matches no difference (stale): remove it' });
    } else if (!OPERATION_OR_BELOW.test(entry.path) && !differencePaths.has(entry.path)) {
      badEntries.push({
        entry,
        problem:
          'broader than one operation: name the operation (paths.<path>.<method>) or what lies below it',
      });
    } else if (entry.issue === undefined && referencePaths.has(entry.path)) {
      badEntries.push({
        entry,
        problem:
          'names something the reference defines; only additions can be allowed without an issue',
      });
    }
  }
  return {
    failures,
    allowed,
    badEntries,
    ok: failures.length === 0 && badEntries.length === 0,
  };
}

/** `paths.<path>.<method>` or anything below it: path templates hold no dots. */
const OPERATION_OR_BELOW = /^paths\.[^.]+\.[^.[]+/;

/**
 * The contract as several references state it, as one document: each defines some operations,
 * tags and security schemes, and where two define the same one they must say the same thing, as
 * they must about every document-wide field (`openapi`, `info`, `servers`, `security`). Tags keep
 * the first reference's order, then each later reference's new tags in theirs.
 */
export function combineReferences(references: readonly NamedReference[]): CombinedReference {
  const conflicts: string[] = [];
  const prepared = references.map(({ name, document }) => ({ name, document: prepare(document) }));
  const combined: JsonObject = {};
  const owner = new Map<string, string>();
  const disagree = (path: string, name: string, existing: Json, value: Json): void => {
    const first = diffJson(existing, value)[0];
    if (!first) return;
    const where = !first.path
      ? path
      : `${path}${first.path.startsWith('[') ? '' : '.'}${first.path}`;
    conflicts.push(
      `${owner.get(path)} and ${name} disagree at ${where}: ${showJson(first.reference)} against ${showJson(first.generated)}`,
    );
  };
  const take = (path: string, name: string, target: JsonObject, key: string, value: Json) => {
    const existing = target[key];
    if (existing === undefined) {
      target[key] = value;
      owner.set(path, name);
    } else {
      disagree(path, name, existing, value);
    }
  };
  for (const { name, document } of prepared) {
    if (!isObject(document)) {
      conflicts.push(`${name} is not an OpenAPI document (an object)`);
      continue;
    }
    for (const [key, value] of Object.entries(document)) {
      if (key === 'paths' && isObject(value)) {
        const paths = (combined.paths ??= {}) as JsonObject;
        for (const [route, item] of Object.entries(value)) {
          if (!isObject(item)) {
            take(`paths.${route}`, name, paths, route, item);
            continue;
          }
          const target = (paths[route] ??= {}) as JsonObject;
          for (const [field, member] of Object.entries(item)) {
            take(`paths.${route}.${field}`, name, target, field, member);
          }
        }
      } else if (key === 'tags' && Array.isArray(value)) {
        const tags = (combined.tags ??= []) as Json[];
        for (const tag of value) {
          const known = tags.find((candidate) => tagName(candidate) === tagName(tag));
          if (known === undefined) {
            tags.push(tag);
            owner.set(`tags[${tagName(tag)}]`, name);
          } else {
            disagree(`tags[${tagName(tag)}]`, name, known, tag);
          }
        }
      } else if (key === 'components' && isObject(value)) {
        const schemes = isObject(value.securitySchemes) ? value.securitySchemes : {};
        const components = (combined.components ??= { securitySchemes: {} }) as JsonObject;
        for (const [scheme, definition] of Object.entries(schemes)) {
          take(
            `components.securitySchemes.${scheme}`,
            name,
            components.securitySchemes as JsonObject,
            scheme,
            definition,
          );
        }
      } else {
        take(key, name, combined, key, value);
      }
    }
  }
  return { document: combined, conflicts };
}

function tagName(tag: Json): string {
  return isObject(tag) ? canonical(tag.name ?? null) : canonical(tag);
}

/** A reference document and the file it came from (named in conflicts). */
export interface NamedReference {
  name: string;
  document: Json;
}

export interface CombinedReference {
  /** The references' union, `$ref`s resolved. */
  document: Json;
  /** Where two references disagree: each fails the check; no allow-list entry excuses one. */
  conflicts: string[];
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
      // The issue whose work removes the difference: the entry is then a to-do, not a design.
      issue: { type: 'integer', minimum: 1 },
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
