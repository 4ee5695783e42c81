/**
 * `npm run openapi`: writes the service's OpenAPI document, keys sorted, to openapi/openapi.json.
 * No HTTP listener and no database: see openapi-generation.ts. Run by Node's type stripping, after
 * `npm run build`.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPENAPI_FILES, REPO_ROOT } from './openapi-check.ts';
import {
  builtService,
  generateOpenApiDocument,
  serializeOpenApiDocument,
} from './openapi-generation.ts';

async function main(): Promise<void> {
  const file = join(REPO_ROOT, OPENAPI_FILES.committed);
  const document = await generateOpenApiDocument(builtService);
  await writeFile(file, await serializeOpenApiDocument(document, file));
  const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
  console.log(`Wrote ${OPENAPI_FILES.committed} (${operations.length} operations)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
