import { createHash } from 'node:crypto';
import {
  PAT_LENGTH,
  PAT_PATTERN,
  hashPersonalAccessToken,
  isWellFormedPersonalAccessToken,
  newPersonalAccessToken,
} from './personal-access-token.js';
import { isPatExpired, patExpiresAt } from './personal-access-token-expiry.js';

describe('personal access token format', () => {
  it('is brms_pat_, 43 base62 characters of randomness and a 6-character checksum', () => {
    const tokens = Array.from({ length: 200 }, () => newPersonalAccessToken().token);
    for (const token of tokens) {
      expect(token).toMatch(/^brms_pat_[0-9A-Za-z]{49}$/);
      expect(token).toHaveLength(PAT_LENGTH);
      expect(isWellFormedPersonalAccessToken(token)).toBe(true);
      expect(token.match(PAT_PATTERN)).toEqual([token]);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('stores the SHA-256 of the whole token, hex', () => {
    const { token, hash } = newPersonalAccessToken();
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hashPersonalAccessToken(token)).toBe(hash);
  });

  it('the checksum catches any one changed character, a truncation and an extension', () => {
    const { token } = newPersonalAccessToken();
    for (let i = 'brms_pat_'.length; i < token.length; i++) {
      const changed = token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1);
      expect(isWellFormedPersonalAccessToken(changed)).toBe(false);
    }
    expect(isWellFormedPersonalAccessToken(token.slice(0, -1))).toBe(false);
    expect(isWellFormedPersonalAccessToken(`${token}0`)).toBe(false);
    expect(isWellFormedPersonalAccessToken(token.replace('brms_pat_', 'brms_pak_'))).toBe(false);
  });
});

describe('personal access token expiry', () => {
  const now = new Date('2026-01-31T12:00:00.000Z');
  it.each([
    ['week', '2026-02-07T12:00:00.000Z'],
    ['month', '2026-03-02T12:00:00.000Z'],
    ['three_months', '2026-05-01T12:00:00.000Z'],
    ['year', '2027-01-31T12:00:00.000Z'],
  ] as const)('%s ends at a fixed number of days', (expiry, at) => {
    expect(patExpiresAt(expiry, now)?.toISOString()).toBe(at);
  });

  it('indefinite never ends; a token is refused from its expiry instant on', () => {
    expect(patExpiresAt('indefinite', now)).toBeNull();
    expect(isPatExpired(null, now)).toBe(false);
    expect(isPatExpired(now, new Date(now.getTime() - 1))).toBe(false);
    expect(isPatExpired(now, now)).toBe(true);
  });
});
