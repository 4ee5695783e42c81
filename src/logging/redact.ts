/**
 * Secrets that must never reach a log line: internal tokens (in `Authorization` headers or pasted
 * into messages), personal access tokens (`brms_pat_…`, anywhere, prefix included), JWTs in
 * general, and invitation accept links, whose `token` query parameter is enough to join an
 * organisation.
 */
export const REDACTED = '[Redacted]';

// `Internal <jwt>`, `Bearer <token>`, `Basic <credentials>`: the scheme stays, the credential goes.
// Credentials are long; the length keeps prose such as "Internal server error" intact.
const AUTHORIZATION_VALUE = /\b(Internal|Bearer|Basic)(\s+)[A-Za-z0-9._~+/-]{16,}=*/gi;
// A compact JWS anywhere in a string (header and payload are base64url JSON, so start with eyJ).
const JWT = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// A personal access token anywhere, whole or truncated, prefix included: even a fragment tells a
// reader which credential leaked. Its alphabet is base62, so the match stops at any delimiter.
const PERSONAL_ACCESS_TOKEN = /brms_pat_[0-9A-Za-z]*/gi;
// The value of a secret-bearing query parameter: accept links carry `token`. It stops at a quote
// or a backslash, so a JSON log line stays valid JSON.
const SECRET_QUERY_PARAMETER = /([?&;](?:token|access_token|code)=)[^&#\s"'<>\\]*/gi;

/** `text` with every credential, personal access token, JWT and accept-link token replaced by [Redacted]. */
export function redactText(text: string): string {
  return text
    .replace(PERSONAL_ACCESS_TOKEN, REDACTED)
    .replace(SECRET_QUERY_PARAMETER, `$1${REDACTED}`)
    .replace(AUTHORIZATION_VALUE, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED);
}

/**
 * Object paths pino censors wherever a log call passes them (pino's `redact`; `*` is one level).
 * Request and response objects are serialized without headers anyway (see logger-options.ts);
 * these catch the same secrets when code logs them by hand.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.headers.authorization',
  '*.headers.cookie',
  'token',
  '*.token',
  'acceptUrl',
  '*.acceptUrl',
  'password',
  '*.password',
];
