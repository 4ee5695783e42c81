/**
 * `npm run openapi`: writes the service's OpenAPI document, keys sorted, to openapi/openapi.json.
 * No HTTP listener and no database: see src/openapi/openapi-generation.ts.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPENAPI_FILES } from '../src/openapi/openapi-check.js';
import {
  generateOpenApiDocument,
  serializeOpenApiDocument,
} from '../src/openapi/openapi-generation.js';

// Compiled to dist/scripts/: the repository root is two levels up, whatever the working directory.
const root = fileURLToPath(new URL('../..', import.meta.url));

async function main(): Promise<void> {
  const file = join(root, OPENAPI_FILES.committed);
  const document = await generateOpenApiDocument();
  await writeFile(file, await serializeOpenApiDocument(document, file));
  const operations = Object.values(document.paths).flatMap((item) => Object.keys(item));
  console.log(`Wrote ${OPENAPI_FILES.committed} (${operations.length} operations)`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
