import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The personal access token format: `brms_pat_`, 43 base62 characters holding 256 random bits, and
 * 6 base62 characters of the CRC32 of everything before them. The fixed prefix and the checksum
 * let a secret scanner or a pre-commit hook recognise a leaked token offline, with no false
 * positives from random strings, as GitHub's `ghp_` tokens do; the checksum is no secret and
 * proves nothing about validity, only the database lookup does.
 */
export const PAT_PREFIX = 'brms_pat_';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))
export const PAT_LENGTH = PAT_PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH;

/** What a scanner greps for: the whole token, nothing around it. */
export const PAT_PATTERN = /brms_pat_[0-9A-Za-z]{49}/g;
const PAT_FORMAT = /^brms_pat_[0-9A-Za-z]{49}$/;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `value` in base62, left-padded with `0` to `width` characters. */
function base62(value: bigint, width: number): string {
  let digits = '';
  for (let rest = value; rest > 0n; rest /= 62n) digits = BASE62[Number(rest % 62n)] + digits;
  return digits.padStart(width, '0');
}

function checksumOf(prefixAndBody: string): string {
  return base62(BigInt(crc32(prefixAndBody)), CHECKSUM_LENGTH);
}

/**
 * SHA-256 of the whole token, hex (as invitations' accept tokens): what `personal_access_tokens.token_hash` holds. A fast unsalted hash
 * is right here, unlike for passwords: the token is 256 bits from a CSPRNG, so there is nothing to
 * guess or precompute, and a lookup by hash stays one indexed equality.
 */
export function hashPersonalAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new token (256 bits from the CSPRNG) and the hash to store. The token is never stored. */
export function newPersonalAccessToken(): { token: string; hash: string } {
  const body = base62(BigInt(`0x${randomBytes(32).toString('hex')}`), BODY_LENGTH);
  const token = `${PAT_PREFIX}${body}${checksumOf(PAT_PREFIX + body)}`;
  return { token, hash: hashPersonalAccessToken(token) };
}

/** Whether `token` has the format and a matching checksum: a typo or a truncation fails here. */
export function isWellFormedPersonalAccessToken(token: string): boolean {
  if (!PAT_FORMAT.test(token)) return false;
  const checked = token.slice(0, -CHECKSUM_LENGTH);
  return checksumOf(checked) === token.slice(-CHECKSUM_LENGTH);
}
