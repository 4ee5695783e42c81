import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

// ajv-formats is CommonJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ??
  addFormatsModule) as (ajv: Ajv) => Ajv;

type Document = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content: Record<string, { schema: object }> }> }>
  >;
};

/** The reference contract (openapi/reference.yaml), as the published GoRules BRMS spec. */
export const reference = parse(readFileSync('openapi/reference.yaml', 'utf8')) as Document;

// Ajv understands OpenAPI 3.0's `nullable`; strict off for the other OpenAPI-only keywords.
export const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** A real JSON Schema validator for one response of the reference document. */
export function referenceResponseValidator(
  path: string,
  method: string,
  status: string,
): ValidateFunction {
  const schema = reference.paths[path][method].responses[status].content['application/json'].schema;
  return ajv.compile(schema);
}

/** Asserts `body` matches the reference response schema, showing Ajv's errors when it does not. */
export function expectToMatchReference(validate: ValidateFunction, body: unknown): void {
  const valid = validate(body);
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}
