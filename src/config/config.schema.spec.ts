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

  it('gives shutdown a 30 s grace period, longer than the mail worker may drain', () => {
    expect(loadConfig({}, secret).http.shutdownGracePeriodMs).toBe(30_000);
    expect(loadConfig({ SHUTDOWN_GRACE_PERIOD: '45s' }, secret).http.shutdownGracePeriodMs).toBe(
      45_000,
    );
    expect(() => loadConfig({ SHUTDOWN_GRACE_PERIOD: 'soon' }, secret)).toThrow(
      /SHUTDOWN_GRACE_PERIOD/,
    );
    expect(() =>
      loadConfig({ SHUTDOWN_GRACE_PERIOD: '10s', MAIL_SHUTDOWN_TIMEOUT: '10s' }, secret),
    ).toThrow(/MAIL_SHUTDOWN_TIMEOUT must be shorter than SHUTDOWN_GRACE_PERIOD/);
  });

  it('reads rotated keys by kid', () => {
    const config = loadConfig({ INTERNAL_AUTH_KEYS: `k1=${'a'.repeat(32)},k2=${'b'.repeat(32)}` });
    expect(config.auth.keys.map((k) => k.kid)).toEqual(['k1', 'k2']);
    expect(() => loadConfig({ INTERNAL_AUTH_KEYS: 'k1=short' })).toThrow(/INTERNAL_AUTH_KEYS/);
  });

  describe('mail', () => {
    it('defaults to .eml files, 10 attempts over about an hour, and a worker outside tests', () => {
      const { mail } = loadConfig({}, secret);
      expect(mail).toMatchObject({
        smtpUrl: undefined,
        from: 'BRMS <no-reply@localhost>',
        dir: '.data/mail',
        workerEnabled: true,
        maxAttempts: 10,
        retryDelaySeconds: 5,
        retryBackoff: true,
      });
      expect(loadConfig({ NODE_ENV: 'test' }, secret).mail.workerEnabled).toBe(false);
      expect(
        loadConfig({ NODE_ENV: 'test', MAIL_WORKER_ENABLED: 'true' }, secret).mail.workerEnabled,
      ).toBe(true);
    });

    it('refuses production without SMTP_URL, naming it', () => {
      const production = {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u@db:5432/brms',
        INTERNAL_AUTH_SECRET: secret,
      };
      expect(() => loadConfig(production)).toThrow(ConfigError);
      expect(() => loadConfig(production)).toThrow(/SMTP_URL is required/);
      expect(
        loadConfig({ ...production, SMTP_URL: 'smtps://user:pass@smtp.example.com:465' }).mail
          .smtpUrl,
      ).toBe('smtps://user:pass@smtp.example.com:465');
    });

    it('accepts only smtp:// and smtps:// URLs', () => {
      expect(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:2525' }, secret).mail.smtpUrl).toBe(
        'smtp://127.0.0.1:2525',
      );
      expect(() => loadConfig({ SMTP_URL: 'http://mail.example.com' }, secret)).toThrow(/SMTP_URL/);
      expect(loadConfig({ SMTP_URL: '' }, secret).mail.smtpUrl).toBeUndefined();
    });

    it('names a bad MAIL_FROM, MAIL_SUBJECT or retry setting', () => {
      expect(loadConfig({ MAIL_FROM: 'Acme <hello@acme.test>' }, secret).mail.from).toBe(
        'Acme <hello@acme.test>',
      );
      expect(() => loadConfig({ MAIL_FROM: 'nobody' }, secret)).toThrow(/MAIL_FROM/);
      expect(() => loadConfig({ MAIL_SUBJECT: 'Join {{#if}}' }, secret)).toThrow(/MAIL_SUBJECT/);
      expect(() => loadConfig({ MAIL_RETRY_DELAY: '1500ms' }, secret)).toThrow(/MAIL_RETRY_DELAY/);
      expect(() => loadConfig({ MAIL_POLL_INTERVAL: '100ms' }, secret)).toThrow(
        /MAIL_POLL_INTERVAL/,
      );
      expect(() => loadConfig({ MAIL_MAX_ATTEMPTS: '0' }, secret)).toThrow(/MAIL_MAX_ATTEMPTS/);
      expect(
        loadConfig({ MAIL_RETRY_DELAY: '2s', MAIL_MAX_ATTEMPTS: '3' }, secret).mail,
      ).toMatchObject({ retryDelaySeconds: 2, maxAttempts: 3 });
    });
  });
});

describe('INVITATION_ACCEPT_URL', () => {
  it("defaults to this service's own accept page under APP_URL", () => {
    expect(loadConfig({ APP_URL: 'https://brms.example.com/' }, secret).http).toMatchObject({
      invitationAcceptUrl: 'https://brms.example.com/invitations/accept?token={token}',
    });
  });

  it("takes a frontend's template with {token}", () => {
    const url = 'https://app.example.com/join/{token}';
    expect(loadConfig({ INVITATION_ACCEPT_URL: url }, secret).http.invitationAcceptUrl).toBe(url);
  });

  it.each([
    ['https://app.example.com/join', /must contain \{token\} exactly once/],
    ['https://app.example.com/{token}/{token}', /must contain \{token\} exactly once/],
    ['/join?token={token}', /must be an absolute http\(s\) URL/],
    ['javascript:alert({token})', /must be an absolute http\(s\) URL/],
  ])('refuses %s at boot', (value, message) => {
    expect(() => loadConfig({ INVITATION_ACCEPT_URL: value }, secret)).toThrow(message);
  });
});

describe('loadConfig with a copied .env.example', () => {
  it('treats empty values as unset', () => {
    const config = loadConfig(
      { DATABASE_URL: '', INTERNAL_AUTH_SECRET: '', PORT: '' },
      'y'.repeat(32),
    );
    expect(config.database.url).toBeUndefined();
    expect(config.http.port).toBe(3000);
    expect(config.auth.keys).toHaveLength(1);
  });
});

describe('loadConfig error messages', () => {
  it('says one thing per bad variable', () => {
    expect(() => loadConfig({ PORT: 'abc' }, 'z'.repeat(32))).toThrow(
      'Invalid configuration: PORT must be an integer number',
    );
  });
});
