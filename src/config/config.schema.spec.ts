import { ConfigError, loadConfig } from './config.schema.js';

const secret = 'x'.repeat(32);

describe('loadConfig', () => {
  it('applies defaults outside production', () => {
    const config = loadConfig({}, secret);
    expect(config.http.port).toBe(3000);
    expect(config.database.url).toBeUndefined();
    expect(config.invitations).toEqual({ ttlMs: 7 * 24 * 3600 * 1000, resendCooldownMs: 60_000 });
    expect(config.auth.keys).toHaveLength(1);
  });

  it('names a non-numeric PORT', () => {
    expect(() => loadConfig({ PORT: 'abc' }, secret)).toThrow(/PORT/);
  });

  it('names a malformed DATABASE_URL', () => {
    expect(() => loadConfig({ DATABASE_URL: 'not a url' }, secret)).toThrow(/DATABASE_URL/);
  });

  it('refuses production without a database or a secret, naming both', () => {
    let error: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' }, secret);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/DATABASE_URL/);
    expect((error as Error).message).toMatch(/INTERNAL_AUTH_SECRET/);
    expect((error as Error).message).not.toMatch(/\n/);
  });

  it('accepts INVITATION_TTL=never and rejects out-of-range values', () => {
    expect(loadConfig({ INVITATION_TTL: 'never' }, secret).invitations.ttlMs).toBeNull();
    expect(() => loadConfig({ INVITATION_TTL: '10m' }, secret)).toThrow(/INVITATION_TTL/);
    expect(() => loadConfig({ INVITATION_TTL: '31d' }, secret)).toThrow(/INVITATION_TTL/);
    expect(loadConfig({ INVITATION_TTL: '1h' }, secret).invitations.ttlMs).toBe(3600_000);
  });

  it('reads rotated keys by kid', () => {
    const config = loadConfig({ INTERNAL_AUTH_KEYS: `k1=${'a'.repeat(32)},k2=${'b'.repeat(32)}` });
    expect(config.auth.keys.map((k) => k.kid)).toEqual(['k1', 'k2']);
    expect(() => loadConfig({ INTERNAL_AUTH_KEYS: 'k1=short' })).toThrow(/INTERNAL_AUTH_KEYS/);
  });
});
