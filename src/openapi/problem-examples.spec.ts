import { readFileSync } from 'node:fs';
import { PROBLEM_TYPES } from '../errors/problem.js';

interface MediaType {
  schema?: unknown;
  examples?: Record<string, { value: { type: string; status: number } }>;
}
interface Response {
  headers?: Record<string, unknown>;
  content: Record<string, MediaType>;
}
interface Document {
  paths: Record<string, Record<string, { responses: Record<string, Response> }>>;
  components: { schemas: Record<string, unknown> };
}

/** The type each status really answers with, as thrown by the guard, pipe, middleware or service. */
const REAL_TYPES: Record<string, string> = {
  '400': PROBLEM_TYPES.validation,
  '401': PROBLEM_TYPES.unauthorized,
  '403': PROBLEM_TYPES.forbidden,
  '409': PROBLEM_TYPES.alreadyMembers,
  '413': 'about:blank',
  '415': 'about:blank',
  '429': 'about:blank',
};

function resolve(document: Document, schema: unknown): Record<string, unknown> {
  const ref = (schema as { $ref?: string }).$ref;
  return ref
    ? (document.components.schemas[ref.split('/').pop()!] as Record<string, unknown>)
    : (schema as Record<string, unknown>);
}

describe('the error responses of POST /api/users in the OpenAPI document', () => {
  let responses: Record<string, Response>;
  let document: Document;

  // The committed document: openapi-document.spec.ts holds it equal to the served one.
  beforeAll(() => {
    document = JSON.parse(readFileSync('openapi/openapi.json', 'utf8')) as Document;
    responses = document.paths['/api/users'].post.responses;
  });

  it.each(Object.entries(REAL_TYPES))(
    '%s shows an example of the type it really has',
    (status, type) => {
      const examples = responses[status].content['application/problem+json'].examples!;
      const first = Object.values(examples)[0].value;
      expect(first).toMatchObject({ type, status: Number(status) });
    },
  );

  it('400 shows the validation error with its errors array', () => {
    const examples = responses['400'].content['application/problem+json'].examples!;
    expect(Object.values(examples)[0].value).toMatchObject({
      errors: [expect.objectContaining({ path: expect.stringMatching(/^emails\[\d+\]$/) })],
    });
  });

  it('409 declares the emails list, as strings of format email', () => {
    const media = responses['409'].content['application/problem+json'];
    const schema = resolve(document, media.schema);
    const parts = (schema.allOf as unknown[] | undefined)?.map((part) =>
      resolve(document, part),
    ) ?? [schema];
    const properties = Object.assign({}, ...parts.map((part) => part.properties)) as Record<
      string,
      unknown
    >;
    expect(properties.emails).toEqual(
      expect.objectContaining({ type: 'array', items: { type: 'string', format: 'email' } }),
    );
  });

  it('429 declares the Retry-After header, 401 WWW-Authenticate', () => {
    expect(responses['429'].headers).toHaveProperty('Retry-After');
    expect(responses['401'].headers).toHaveProperty('WWW-Authenticate');
  });
});
