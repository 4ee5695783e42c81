import { createHash } from 'node:crypto';
import { hashInvitationToken, newInvitationToken } from './invitation-token.js';

describe('invitation tokens', () => {
  it('are 32 random bytes in base64url, stored as their SHA-256 hex', () => {
    const { token, hash } = newInvitationToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashInvitationToken(token)).toBe(hash);
    expect(newInvitationToken().token).not.toBe(token);
  });
});
