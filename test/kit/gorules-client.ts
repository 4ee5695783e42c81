import { readFileSync } from 'node:fs';
import type { ValidateFunction } from 'ajv';
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { parse } from 'yaml';
import { ajv } from './contract.js';
import type { paths } from './gorules-api.js';

type Content = Record<string, { schema?: object }>;
type Operation = { responses?: Record<string, { content?: Content }> };
type GoRulesDocument = { paths: Record<string, Record<string, Operation>> };

/** GoRules' published contract (openapi/gorules-reference.yaml), which the client is generated from. */
export const gorulesReference = parse(
  readFileSync('openapi/gorules-reference.yaml', 'utf8'),
) as GoRulesDocument;

/** A client exactly as a GoRules customer would generate it: typed from GoRules' document only. */
export type GoRulesClient = Client<paths>;

const validators = new Map<string, ValidateFunction>();

function validatorFor(schemaPath: string, method: string, status: number, schema: object) {
  const key = `${method} ${schemaPath} ${status}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(key, validate);
  }
  return validate;
}

/**
 * What GoRules declares for this answer must hold: a declared JSON body matches its schema (ajv
 * with ajv-formats), a declared non-JSON body has its media type. An answer GoRules declares
 * nothing for (our 4xx) must be this service's one error body, problem+json.
 */
async function checkAgainstReference(
  schemaPath: string,
  method: string,
  response: Response,
): Promise<void> {
  const where = `${method.toUpperCase()} ${schemaPath} → ${response.status}`;
  const operation = gorulesReference.paths[schemaPath]?.[method];
  if (!operation) throw new Error(`${where}: GoRules' reference has no such operation`);
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
  const declared = operation.responses?.[String(response.status)];
  if (!declared) {
    if (response.status < 400) {
      throw new Error(`${where}: GoRules' reference declares no ${response.status} answer`);
    }
    if (mediaType !== 'application/problem+json') {
      throw new Error(
        `${where}: an error answer must be application/problem+json, not ${mediaType}`,
      );
    }
    return;
  }
  const media = Object.keys(declared.content ?? {});
  if (media.length === 0) return;
  if (!media.includes(mediaType)) {
    throw new Error(
      `${where}: media type ${mediaType}, where GoRules declares ${media.join(', ')}`,
    );
  }
  const schema = declared.content![mediaType].schema;
  if (!schema || !mediaType.endsWith('json')) return;
  const body: unknown = await response.clone().json();
  const validate = validatorFor(schemaPath, method, response.status, schema);
  if (!validate(body)) {
    throw new Error(
      `${where}: the body does not match GoRules' schema: ${ajv.errorsText(validate.errors)}\n` +
        JSON.stringify(body, null, 2),
    );
  }
}

const validateResponses: Middleware = {
  async onResponse({ schemaPath, request, response }) {
    await checkAgainstReference(schemaPath, request.method.toLowerCase(), response);
  },
};

/**
 * The generated GoRules client (openapi-typescript types + openapi-fetch) pointed at a test app:
 * `gorulesClient(t.url, await authHeader(owner))`. Every answer is checked against GoRules'
 * reference, so a call whose answer breaks the contract rejects. `options.fetch` is for proving
 * that check can fail.
 */
export function gorulesClient(
  baseUrl: string,
  authorization?: string,
  options: { fetch?: typeof fetch } = {},
): GoRulesClient {
  const client = createClient<paths>({
    baseUrl,
    headers: authorization ? { Authorization: authorization } : {},
    ...options,
  });
  client.use(validateResponses);
  return client;
}
