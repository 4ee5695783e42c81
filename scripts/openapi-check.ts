/**
 * `npm run openapi:check`: fails when openapi/openapi.json is stale, when oasdiff finds a breaking
 * change from the reference, or when the semantic comparison finds a difference the allow-list does
 * not explain. See "API contract" in README.md.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { Json } from '../src/openapi/contract-diff.js';
import { findOasdiff } from '../src/openapi/oasdiff.js';
import { OPENAPI_FILES, checkOpenApi, formatCheckResult } from '../src/openapi/openapi-check.js';
import {
  generateOpenApiDocument,
  serializeOpenApiDocument,
} from '../src/openapi/openapi-generation.js';

// Compiled to dist/scripts/: the repository root is two levels up, whatever the working directory.
const root = fileURLToPath(new URL('../..', import.meta.url));

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function main(): Promise<void> {
  const referencePath = join(root, OPENAPI_FILES.reference);
  const committedPath = join(root, OPENAPI_FILES.committed);
  const generated = await generateOpenApiDocument();
  const result = await checkOpenApi({
    reference: parseYaml(await readFile(referencePath, 'utf8')) as Json,
    referencePath,
    generated: generated as unknown as Json,
    generatedText: await serializeOpenApiDocument(generated, committedPath),
    committedText: await readOptional(committedPath),
    allowList: JSON.parse(await readFile(join(root, OPENAPI_FILES.allowList), 'utf8')) as unknown,
    oasdiffBinary: findOasdiff(),
  });
  console.log(formatCheckResult(result));
  if (!result.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
