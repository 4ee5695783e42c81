import { isExpired, pastExpirySql } from './invitation-expiry.js';

describe('isExpired', () => {
  const now = new Date('2030-01-08T00:00:00.000Z');
  const past = new Date('2030-01-07T00:00:00.000Z');
  const future = new Date('2030-01-09T00:00:00.000Z');

  it('counts a pending invitation at or past its expiry, and one stored as expired', () => {
    expect(isExpired({ status: 'pending', expiresAt: past }, now)).toBe(true);
    expect(isExpired({ status: 'pending', expiresAt: now }, now)).toBe(true);
    expect(isExpired({ status: 'expired', expiresAt: future }, now)).toBe(true);
  });

  it('does not count one still running, one that never expires, or one already settled', () => {
    expect(isExpired({ status: 'pending', expiresAt: future }, now)).toBe(false);
    expect(isExpired({ status: 'pending', expiresAt: null }, now)).toBe(false);
    expect(isExpired({ status: 'accepted', expiresAt: past }, now)).toBe(false);
    expect(isExpired({ status: 'revoked', expiresAt: past }, now)).toBe(false);
  });

  it('says the same in SQL, qualified by the alias given', () => {
    expect(pastExpirySql('i', '$3')).toBe('(i.expires_at IS NOT NULL AND i.expires_at <= $3)');
    expect(pastExpirySql('', '$1')).toBe('(expires_at IS NOT NULL AND expires_at <= $1)');
  });
});
