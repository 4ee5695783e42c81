import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RawEnv } from './config.schema.js';

export const DEV_SECRET_FILE = '.data/internal-auth-secret';

/**
 * Outside production, with no secret configured, a random secret is generated once and kept in
 * .data/ so tokens minted by the CLI stay valid across restarts. Production never gets here.
 */
export function devSecretFor(env: RawEnv): string | undefined {
  if (env.NODE_ENV === 'production' || env.INTERNAL_AUTH_SECRET || env.INTERNAL_AUTH_KEYS) {
    return undefined;
  }
  try {
    return readFileSync(DEV_SECRET_FILE, 'utf8').trim();
  } catch {
    const secret = randomBytes(32).toString('base64url');
    mkdirSync(dirname(DEV_SECRET_FILE), { recursive: true });
    writeFileSync(DEV_SECRET_FILE, secret + '\n', { mode: 0o600 });
    return secret;
  }
}
