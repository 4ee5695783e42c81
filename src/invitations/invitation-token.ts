import { createHash, randomBytes } from 'node:crypto';

/**
 * SHA-256 of an accept token, hex: what `invitations.token_hash` holds. The accept endpoint hashes
 * the token it receives with this and looks the invitation up by the result.
 */
export function hashInvitationToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What newInvitationToken makes: 32 bytes in base64url, 43 characters. */
export const INVITATION_TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

/** A new accept token (32 random bytes, base64url: safe in a URL as is) and its hash. */
export function newInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashInvitationToken(token) };
}
