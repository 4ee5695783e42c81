import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  combineReferences,
  compareContracts,
  describeDifference,
  diffJson,
  parseAllowList,
  resolveRefs,
  type AllowedDifference,
  type ContractDifference,
  type DifferenceKind,
  type Json,
} from './contract-diff.ts';

type JsonObject = { [key: string]: Json };

const reference = parse(readFileSync('openapi/reference.yaml', 'utf8')) as Json;

const OPERATION = ['paths', '/api/users', 'post'];
const REQUEST = [...OPERATION, 'requestBody', 'content', 'application/json', 'schema'];
const RESPONSE = [...OPERATION, 'responses', '200', 'content', 'application/json', 'schema'];
const ITEM = [...RESPONSE, 'items'];
const PATH_PREFIX = {
  operation: 'paths./api/users.post',
  request: 'paths./api/users.post.requestBody.content.application/json.schema',
  item: 'paths./api/users.post.responses.200.content.application/json.schema.items',
};

function copy<T extends Json>(value: T): T {
  return structuredClone(value);
}

function parentOf(document: Json, segments: readonly string[]): JsonObject {
  let node = document;
  for (const segment of segments.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(segment)] : (node as JsonObject)[segment];
    if (node === undefined) throw new Error(`no ${segments.join('/')} in the document`);
  }
  return node as JsonObject;
}

function getAt(document: Json, segments: readonly string[]): Json {
  const value = parentOf(document, segments)[segments.at(-1)!];
  if (value === undefined) throw new Error(`no ${segments.join('/')} in the document`);
  return value;
}

function setAt(document: Json, segments: readonly string[], value: Json): void {
  parentOf(document, segments)[segments.at(-1)!] = value;
}

function deleteAt(document: Json, segments: readonly string[]): void {
  getAt(document, segments); // must exist, or the mutation tests nothing
  delete parentOf(document, segments)[segments.at(-1)!];
}

/**
 * The reference rewritten the way @nestjs/swagger writes it: DTOs as `$ref` components, keys in
 * another order, `required` and `enum` reordered. Says exactly what the reference says.
 */
function asNestWritesIt(): Json {
  const document = copy(reference) as JsonObject;
  const item = getAt(document, ITEM) as JsonObject;
  const body = getAt(document, REQUEST) as JsonObject;
  const reversed = (object: JsonObject): JsonObject =>
    Object.fromEntries(Object.entries(object).reverse());
  const components = document.components as JsonObject;
  components.schemas = {
    InvitationDto: reversed({
      ...item,
      required: [...(item.required as Json[])].reverse(),
    }),
    InviteUsersDto: reversed(body),
  };
  const status = (components.schemas.InvitationDto as JsonObject).properties as JsonObject;
  (status.status as JsonObject).enum = ['accepted', 'pending'];
  setAt(document, ITEM, { $ref: '#/components/schemas/InvitationDto' });
  setAt(document, REQUEST, { $ref: '#/components/schemas/InviteUsersDto' });
  return reversed(document);
}

function failures(generated: Json, allowList: AllowedDifference[] = []): ContractDifference[] {
  return compareContracts(reference, generated, allowList).failures;
}

describe('compareContracts', () => {
  it('finds no difference between the reference and itself', () => {
    const report = compareContracts(reference, copy(reference), []);
    expect(report).toEqual({ failures: [], allowed: [], badEntries: [], ok: true });
  });

  it("compares Nest's $ref components equal to the reference's inline schemas", () => {
    const generated = asNestWritesIt();
    expect(JSON.stringify(generated)).toContain('#/components/schemas/InvitationDto');
    expect(failures(generated)).toEqual([]);
  });

  // One change each to a copy of the reference; the report must name the JSON path.
  const mutations: {
    change: string;
    mutate: (document: Json) => void;
    path: string;
    kind: DifferenceKind;
  }[] = [
    {
      change: 'a word of a property description',
      mutate: (d) =>
        setAt(d, [...ITEM, 'properties', 'id', 'description'], 'Unique id of the invitation'),
      path: `${PATH_PREFIX.item}.properties.id.description`,
      kind: 'changed',
    },
    {
      change: 'a word of a nested items description',
      mutate: (d) =>
        setAt(
          d,
          [...REQUEST, 'properties', 'emails', 'items', 'description'],
          'Email address to add',
        ),
      path: `${PATH_PREFIX.request}.properties.emails.items.description`,
      kind: 'changed',
    },
    {
      change: 'a word of the operation description',
      mutate: (d) =>
        setAt(
          d,
          [...OPERATION, 'description'],
          'Sends invitation emails to the given email addresses to join the organisation.',
        ),
      path: `${PATH_PREFIX.operation}.description`,
      kind: 'changed',
    },
    {
      change: 'the array schema description is dropped',
      mutate: (d) => deleteAt(d, [...RESPONSE, 'description']),
      path: 'paths./api/users.post.responses.200.content.application/json.schema.description',
      kind: 'missing',
    },
    {
      change: 'a format',
      mutate: (d) => setAt(d, [...ITEM, 'properties', 'email', 'format'], 'uuid'),
      path: `${PATH_PREFIX.item}.properties.email.format`,
      kind: 'changed',
    },
    {
      change: 'a format is dropped',
      mutate: (d) => deleteAt(d, [...REQUEST, 'properties', 'emails', 'items', 'format']),
      path: `${PATH_PREFIX.request}.properties.emails.items.format`,
      kind: 'missing',
    },
    {
      change: 'nullable is dropped',
      mutate: (d) => deleteAt(d, [...ITEM, 'properties', 'expiresAt', 'nullable']),
      path: `${PATH_PREFIX.item}.properties.expiresAt.nullable`,
      kind: 'missing',
    },
    {
      change: 'nullable is added',
      mutate: (d) => setAt(d, [...ITEM, 'properties', 'createdAt', 'nullable'], true),
      path: `${PATH_PREFIX.item}.properties.createdAt.nullable`,
      kind: 'extra',
    },
    {
      change: 'nullable becomes false',
      mutate: (d) => setAt(d, [...ITEM, 'properties', 'expiresAt', 'nullable'], false),
      path: `${PATH_PREFIX.item}.properties.expiresAt.nullable`,
      kind: 'changed',
    },
    {
      change: 'an enum value is added',
      mutate: (d) =>
        setAt(d, [...ITEM, 'properties', 'status', 'enum'], ['pending', 'accepted', 'expired']),
      path: `${PATH_PREFIX.item}.properties.status.enum[expired]`,
      kind: 'extra',
    },
    {
      change: 'an enum value is removed',
      mutate: (d) => setAt(d, [...ITEM, 'properties', 'status', 'enum'], ['pending']),
      path: `${PATH_PREFIX.item}.properties.status.enum[accepted]`,
      kind: 'missing',
    },
    {
      change: 'a response property is no longer required',
      mutate: (d) => setAt(d, [...ITEM, 'required'], ['id', 'email', 'status', 'createdAt']),
      path: `${PATH_PREFIX.item}.required[userId]`,
      kind: 'missing',
    },
    {
      change: 'a response property becomes required',
      mutate: (d) =>
        setAt(
          d,
          [...ITEM, 'required'],
          ['id', 'email', 'status', 'userId', 'createdAt', 'expiresAt'],
        ),
      path: `${PATH_PREFIX.item}.required[expiresAt]`,
      kind: 'extra',
    },
    {
      change: 'the request body property is no longer required',
      mutate: (d) => setAt(d, [...REQUEST, 'required'], []),
      path: `${PATH_PREFIX.request}.required[emails]`,
      kind: 'missing',
    },
    {
      change: 'maxItems on a body property (oasdiff does not report this)',
      mutate: (d) => setAt(d, [...REQUEST, 'properties', 'emails', 'maxItems'], 10),
      path: `${PATH_PREFIX.request}.properties.emails.maxItems`,
      kind: 'extra',
    },
    {
      change: 'the security scheme type',
      mutate: (d) =>
        setAt(d, ['components', 'securitySchemes', 'internalAuth', 'scheme'], 'bearer'),
      path: 'components.securitySchemes.internalAuth.scheme',
      kind: 'changed',
    },
    {
      change: 'the security scheme is not declared',
      mutate: (d) => deleteAt(d, ['components', 'securitySchemes', 'internalAuth']),
      path: 'components.securitySchemes.internalAuth',
      kind: 'missing',
    },
    {
      change: 'no security scheme is declared at all',
      mutate: (d) => deleteAt(d, ['components', 'securitySchemes']),
      path: 'components.securitySchemes',
      kind: 'missing',
    },
    {
      change: 'the security scheme description',
      mutate: (d) =>
        setAt(d, ['components', 'securitySchemes', 'internalAuth', 'description'], 'Internal'),
      path: 'components.securitySchemes.internalAuth.description',
      kind: 'changed',
    },
    {
      change: 'the operation no longer requires internalAuth',
      mutate: (d) => setAt(d, [...OPERATION, 'security'], []),
      path: `${PATH_PREFIX.operation}.security[internalAuth]`,
      kind: 'missing',
    },
    {
      change: 'the operation requires another scheme',
      mutate: (d) => setAt(d, [...OPERATION, 'security'], [{ bearer: [] }]),
      path: `${PATH_PREFIX.operation}.security[bearer]`,
      kind: 'extra',
    },
    {
      change: 'the operationId',
      mutate: (d) => setAt(d, [...OPERATION, 'operationId'], 'UsersController_inviteUsers'),
      path: `${PATH_PREFIX.operation}.operationId`,
      kind: 'changed',
    },
    {
      change: 'the operation tag',
      mutate: (d) => setAt(d, [...OPERATION, 'tags'], ['UsersInvitations']),
      path: `${PATH_PREFIX.operation}.tags[User]`,
      kind: 'missing',
    },
    {
      change: 'the response status code',
      mutate: (d) => {
        const responses = getAt(d, [...OPERATION, 'responses']) as JsonObject;
        responses['201'] = responses['200'];
        delete responses['200'];
      },
      path: `${PATH_PREFIX.operation}.responses.200`,
      kind: 'missing',
    },
    {
      change: 'a property type',
      mutate: (d) => setAt(d, [...ITEM, 'properties', 'createdAt', 'type'], 'integer'),
      path: `${PATH_PREFIX.item}.properties.createdAt.type`,
      kind: 'changed',
    },
    {
      change: 'a tag description',
      mutate: (d) => setAt(d, ['tags', '24', 'description'], 'Manage organisation users'),
      path: 'tags[User].description',
      kind: 'changed',
    },
    {
      change: 'the tag order',
      mutate: (d) => {
        const tags = getAt(d, ['tags']) as Json[];
        [tags[0], tags[1]] = [tags[1], tags[0]];
      },
      path: 'tags',
      kind: 'changed',
    },
    {
      change: 'a tag is missing',
      mutate: (d) => (getAt(d, ['tags']) as Json[]).splice(3, 1),
      path: 'tags[Change requests]',
      kind: 'missing',
    },
    {
      change: 'the OpenAPI version',
      mutate: (d) => setAt(d, ['openapi'], '3.0.0'),
      path: 'openapi',
      kind: 'changed',
    },
    {
      change: 'info gains a description',
      mutate: (d) => setAt(d, ['info', 'description'], ''),
      path: 'info.description',
      kind: 'extra',
    },
    {
      change: 'a server is listed',
      mutate: (d) => setAt(d, ['servers'], [{ url: 'http://localhost:3000' }]),
      path: 'servers[0]',
      kind: 'extra',
    },
    {
      change: 'top-level security',
      mutate: (d) => setAt(d, ['security'], [{ internalAuth: [] }]),
      path: 'security[internalAuth]',
      kind: 'extra',
    },
  ];

  it.each(mutations)('fails when $change, naming $path', ({ mutate, path, kind }) => {
    const generated = copy(reference);
    mutate(generated);
    const found = failures(generated);
    expect(found).toContainEqual(expect.objectContaining({ path, kind }));
  });

  it('follows $ref into components and names the path where the schema is used', () => {
    const generated = asNestWritesIt();
    const schemas = (generated as JsonObject).components as JsonObject;
    const dto = ['schemas', 'InvitationDto', 'properties'];
    setAt(schemas, [...dto, 'email', 'format'], 'uuid');
    deleteAt(schemas, [...dto, 'expiresAt', 'nullable']);
    setAt(schemas, ['schemas', 'InviteUsersDto', 'properties', 'emails', 'maxItems'], 10);

    expect(failures(generated)).toEqual([
      {
        path: `${PATH_PREFIX.request}.properties.emails.maxItems`,
        kind: 'extra',
        generated: 10,
      },
      {
        path: `${PATH_PREFIX.item}.properties.email.format`,
        kind: 'changed',
        reference: 'email',
        generated: 'uuid',
      },
      {
        path: `${PATH_PREFIX.item}.properties.expiresAt.nullable`,
        kind: 'missing',
        reference: true,
      },
    ]);
  });

  it('reports a $ref it cannot resolve instead of crashing', () => {
    const generated = copy(reference);
    setAt(generated, ITEM, { $ref: '#/components/schemas/Nowhere' });
    expect(failures(generated)).toContainEqual({
      path: `${PATH_PREFIX.item}.$ref`,
      kind: 'extra',
      generated: '#/components/schemas/Nowhere',
    });
  });

  it('leaves a reference cycle as a $ref', () => {
    const cyclic: Json = {
      components: {
        schemas: { Node: { properties: { next: { $ref: '#/components/schemas/Node' } } } },
      },
      root: { $ref: '#/components/schemas/Node' },
    };
    const resolved = resolveRefs(cyclic) as JsonObject;
    expect(resolved.root).toEqual({
      properties: { next: { $ref: '#/components/schemas/Node' } },
    });
  });

  it('compares operation parameters by location and name, not by position', () => {
    const a: Json = {
      parameters: [
        { in: 'query', name: 'limit', schema: { type: 'integer' } },
        { in: 'path', name: 'id', schema: { type: 'string' } },
      ],
    };
    const b: Json = {
      parameters: [
        { in: 'path', name: 'id', schema: { type: 'string', format: 'uuid' } },
        { in: 'query', name: 'limit', schema: { type: 'integer' } },
      ],
    };
    expect(diffJson(a, b)).toEqual([
      { path: 'parameters[path:id].schema.format', kind: 'extra', generated: 'uuid' },
    ]);
  });
});

describe('the allow-list', () => {
  const withErrorResponse = (): Json => {
    const generated = copy(reference);
    const responses = getAt(generated, [...OPERATION, 'responses']) as JsonObject;
    responses['400'] = {
      description: 'Invalid request body',
      content: { 'application/problem+json': { schema: { type: 'object' } } },
    };
    return generated;
  };
  const entry = (path: string): AllowedDifference => ({
    path,
    reason: 'Additive problem+json error response',
  });

  it('allows a documented extra under the listed path', () => {
    const allowList = [entry(`${PATH_PREFIX.operation}.responses.400`)];
    const report = compareContracts(reference, withErrorResponse(), allowList);
    expect(report.ok).toBe(true);
    expect(report.allowed).toEqual([
      {
        difference: expect.objectContaining({ path: `${PATH_PREFIX.operation}.responses.400` }),
        entry: allowList[0],
      },
    ]);
  });

  it('fails an extra that no entry lists', () => {
    const report = compareContracts(reference, withErrorResponse(), []);
    expect(report.ok).toBe(false);
    expect(report.failures.map((d) => d.path)).toEqual([`${PATH_PREFIX.operation}.responses.400`]);
  });

  it('matches whole path segments only', () => {
    const report = compareContracts(reference, withErrorResponse(), [
      entry(`${PATH_PREFIX.operation}.responses.40`),
    ]);
    expect(report.ok).toBe(false);
    expect(report.failures.map((d) => d.path)).toEqual([`${PATH_PREFIX.operation}.responses.400`]);
    expect(report.badEntries).toEqual([
      {
        entry: entry(`${PATH_PREFIX.operation}.responses.40`),
        problem: expect.stringContaining('stale'),
      },
    ]);
  });

  it('fails on a stale entry that matches nothing', () => {
    const report = compareContracts(reference, copy(reference), [
      entry(`${PATH_PREFIX.operation}.responses.429`),
    ]);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(false);
    expect(report.badEntries[0].problem).toMatch(/stale/);
  });

  it('refuses an entry that names something the reference defines', () => {
    // Such an entry could hide changes to the contract itself; additions need precise entries.
    const generated = withErrorResponse();
    setAt(generated, [...ITEM, 'properties', 'email', 'format'], 'uuid');
    const report = compareContracts(reference, generated, [entry(PATH_PREFIX.operation)]);
    expect(report.ok).toBe(false);
    expect(report.badEntries).toEqual([
      {
        entry: entry(PATH_PREFIX.operation),
        problem: expect.stringContaining('reference defines'),
      },
    ]);
    expect(report.failures.map((d) => d.path)).toContain(
      `${PATH_PREFIX.item}.properties.email.format`,
    );
  });

  it('never excuses a missing or changed value', () => {
    const generated = copy(reference);
    deleteAt(generated, [...ITEM, 'properties', 'expiresAt', 'nullable']);
    const report = compareContracts(reference, generated, [
      entry(`${PATH_PREFIX.item}.properties.expiresAt.nullable`),
    ]);
    expect(report.failures).toEqual([
      expect.objectContaining({
        path: `${PATH_PREFIX.item}.properties.expiresAt.nullable`,
        kind: 'missing',
      }),
    ]);
    expect(report.ok).toBe(false);
  });
});

describe('allow-list entries with an issue (not implemented yet)', () => {
  const withoutExpiresAt = (): Json => {
    const generated = copy(reference);
    deleteAt(generated, [...ITEM, 'properties', 'expiresAt']);
    return generated;
  };
  const todo = (path: string): AllowedDifference => ({
    path,
    reason: 'Not implemented yet: a later issue',
    issue: 99,
  });

  it('excuses a missing value under its path', () => {
    const allowList = [todo(`${PATH_PREFIX.item}.properties.expiresAt`)];
    const report = compareContracts(reference, withoutExpiresAt(), allowList);
    expect(report.failures).toEqual([]);
    expect(report.badEntries).toEqual([]);
    expect(report.allowed).toEqual([
      {
        difference: expect.objectContaining({ kind: 'missing' }),
        entry: allowList[0],
      },
    ]);
    expect(report.ok).toBe(true);
  });

  it('is stale once the difference is gone', () => {
    const report = compareContracts(reference, copy(reference), [
      todo(`${PATH_PREFIX.item}.properties.expiresAt`),
    ]);
    expect(report.badEntries[0].problem).toMatch(/stale/);
    expect(report.ok).toBe(false);
  });

  it.each([['paths'], ['paths./api/users']])('refuses %s: broader than one operation', (path) => {
    const report = compareContracts(reference, withoutExpiresAt(), [todo(path)]);
    expect(report.badEntries).toEqual([
      { entry: todo(path), problem: expect.stringContaining('broader than one operation') },
    ]);
    expect(report.ok).toBe(false);
  });

  it('accepts a path item when the whole of it is one difference', () => {
    const generated = copy(reference);
    deleteAt(generated, ['paths', '/api/users']);
    const report = compareContracts(reference, generated, [todo('paths./api/users')]);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
  });
});

describe('combineReferences', () => {
  const second = (): JsonObject => ({
    openapi: '3.0.3',
    info: { title: 'GoRules BRMS', version: 'local' },
    tags: [
      { name: 'Extra', description: 'A tag only the second reference has' },
      { name: 'User', description: 'Manage organisation users, invitations, and service accounts' },
    ],
    paths: {
      '/api/users': {
        get: { summary: 'List users', responses: { '200': { description: 'Users' } } },
        post: copy(getAt(reference, OPERATION)),
      },
      '/api/other': { get: { responses: { '200': { description: 'Other' } } } },
    },
    components: {
      schemas: { Unused: { type: 'string' } },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        internalAuth: copy(getAt(reference, ['components', 'securitySchemes', 'internalAuth'])),
      },
    },
  });

  it('is the union of what the references define, tags in the first one order', () => {
    const { document, conflicts } = combineReferences([
      { name: 'seed', document: reference },
      { name: 'second', document: second() },
    ]);
    expect(conflicts).toEqual([]);
    const combined = document as JsonObject;
    expect(Object.keys(combined.paths as JsonObject)).toEqual(['/api/users', '/api/other']);
    expect(Object.keys((combined.paths as JsonObject)['/api/users'] as JsonObject)).toEqual([
      'post',
      'get',
    ]);
    expect((combined.tags as JsonObject[]).map((tag) => tag.name).slice(-2)).toEqual([
      'User',
      'Extra',
    ]);
    expect(combined.components).toEqual({
      securitySchemes: {
        internalAuth: getAt(reference, ['components', 'securitySchemes', 'internalAuth']),
        bearer: { type: 'http', scheme: 'bearer' },
      },
    });
  });

  it('names each place where two references disagree', () => {
    const other = second();
    setAt(other, ['paths', '/api/users', 'post', 'summary'], 'Invite people');
    setAt(other, ['servers'], [{ url: 'https://example.com' }]);
    setAt(other, ['tags', '1', 'description'], 'Users');
    const { conflicts } = combineReferences([
      { name: 'seed', document: reference },
      { name: 'second', document: other },
    ]);
    expect(conflicts).toEqual([
      'seed and second disagree at tags[User].description: "Manage organisation users, invitations, and service accounts" against "Users"',
      'seed and second disagree at paths./api/users.post.summary: "Invite users" against "Invite people"',
      'seed and second disagree at servers[0]: undefined against {"url":"https://example.com"}',
    ]);
  });
});

describe('parseAllowList', () => {
  it('accepts the committed openapi/allowed-differences.json', () => {
    const file = JSON.parse(readFileSync('openapi/allowed-differences.json', 'utf8')) as unknown;
    expect(parseAllowList(file)).toEqual(file);
  });

  it.each([
    ['not an array', { path: 'x', reason: 'a good reason' }, /must be array/],
    ['an entry without a reason', [{ path: 'paths./x' }], /reason/],
    ['a multi-line reason', [{ path: 'paths./x', reason: 'first line\nsecond line' }], /pattern/],
    [
      'an issue that is not a number',
      [{ path: 'paths./x', reason: 'a good reason', issue: '27' }],
      /integer/,
    ],
    [
      'an unknown field',
      [{ path: 'paths./x', reason: 'a good reason', kind: 'extra' }],
      /additional/,
    ],
    [
      'a duplicate path',
      [
        { path: 'paths./x', reason: 'a good reason' },
        { path: 'paths./x', reason: 'another reason' },
      ],
      /duplicate path paths\.\/x/,
    ],
  ])('rejects %s', (_case, value, message) => {
    expect(() => parseAllowList(value)).toThrow(message);
  });
});

describe('describeDifference', () => {
  it('prints the kind, the path and both values on one line', () => {
    expect(
      describeDifference({
        path: `${PATH_PREFIX.item}.properties.email.format`,
        kind: 'changed',
        reference: 'email',
        generated: 'uuid',
      }),
    ).toBe(
      `changed  ${PATH_PREFIX.item}.properties.email.format  (reference: "email", generated: "uuid")`,
    );
  });
});
