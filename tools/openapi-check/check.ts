/**
 * `npm run openapi:check`: fails when openapi/openapi.json is stale, when oasdiff finds a breaking
 * change from the reference, or when the semantic comparison finds a difference the allow-list does
 * not explain. See docs/api-contract.md. Run by Node's type stripping, after `npm run build`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Json } from './contract-diff.ts';
import { findOasdiff } from './oasdiff.ts';
import { OPENAPI_FILES, REPO_ROOT, checkOpenApi, formatCheckResult } from './openapi-check.ts';
import {
  builtService,
  generateOpenApiDocument,
  serializeOpenApiDocument,
} from './openapi-generation.ts';

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function main(): Promise<void> {
  const committedPath = join(REPO_ROOT, OPENAPI_FILES.committed);
  const allowListPath = join(REPO_ROOT, OPENAPI_FILES.allowList);
  const generated = await generateOpenApiDocument(builtService);
  const result = await checkOpenApi({
    references: await Promise.all(
      OPENAPI_FILES.references.map(async (file) => {
        const path = join(REPO_ROOT, file);
        return { path, document: parseYaml(await readFile(path, 'utf8')) as Json };
      }),
    ),
    generated: generated as unknown as Json,
    generatedText: await serializeOpenApiDocument(generated, committedPath),
    committedText: await readOptional(committedPath),
    allowList: JSON.parse(await readFile(allowListPath, 'utf8')) as unknown,
    oasdiffBinary: findOasdiff(),
  });
  console.log(formatCheckResult(result));
  if (!result.ok) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
