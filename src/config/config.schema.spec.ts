import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig, type RawEnv } from './config.schema.js';
import { getMetadataStorage } from 'class-validator';
import { Environment } from './environment.js';

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

describe('every variable', () => {
  const given = (raw: RawEnv) => {
    try {
      loadConfig(raw, secret);
    } catch (error) {
      return (error as ConfigError).problems;
    }
    return [];
  };

  // A bad value for each variable that can have one, and the rule it breaks.
  it.each([
    ['NODE_ENV', 'prod', /one of development, production, test/],
    ['PORT', '70000', /an integer number from 0 to 65535/],
    ['SHUTDOWN_GRACE_PERIOD', '500ms', /a duration .*at least 1s/],
    ['APP_URL', 'ftp://brms.example.com', /a URL starting with http:\/\/ or https:\/\//],
    ['INVITATION_ACCEPT_URL', 'https://app.example.com/join', /contain \{token\} exactly once/],
    ['LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/],
    ['DATABASE_RUN_MIGRATIONS', 'yes', /true or false/],
    ['DATABASE_POOL_SIZE', '0', /an integer number from 1 to 200/],
    ['DATABASE_STATEMENT_TIMEOUT', '-5s', /a duration such as 60s, 1h or 7d/],
    ['INVITATION_TTL', '31d', /from 1h to 30d, or never/],
    ['INVITATION_RESEND_COOLDOWN', 'a while', /a duration/],
    ['RATE_LIMIT_ACCEPT_PER_MINUTE', '0', /from 1 to 100000/],
    ['RATE_LIMIT_INVITATIONS_PER_HOUR', '1.5', /an integer number/],
    ['RATE_LIMIT_REQUESTS_PER_MINUTE', '-1', /from 0 to 1000000/],
    ['MAIL_FROM', 'nobody', /an address/],
    ['MAIL_SUBJECT', '   ', /a non-empty Handlebars template/],
    ['MAIL_WORKER_ENABLED', 'on', /true or false/],
    ['MAIL_WORKER_CONCURRENCY', '51', /from 1 to 50/],
    ['MAIL_POLL_INTERVAL', '100ms', /at least 500ms/],
    ['MAIL_MAX_ATTEMPTS', '101', /from 1 to 100/],
    ['MAIL_RETRY_DELAY', '1500ms', /whole seconds/],
    ['MAIL_RETRY_BACKOFF', 'maybe', /true or false/],
    ['MAIL_SEND_TIMEOUT', '11m', /from 1s to 10m/],
    ['MAIL_SHUTDOWN_TIMEOUT', 'soon', /a duration/],
  ])('names %s=%j, what it expects and what it got', (name, value, expected) => {
    const problems = given({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} must `));
    expect(problems[0]).toMatch(expected);
    expect(problems[0]).toContain(`(got ${JSON.stringify(value)})`);
  });

  it.each([
    ['DATABASE_URL', 'postgres//user:hunter2hunter2@db/brms', /postgres:\/\/ or postgresql:\/\//],
    ['SMTP_URL', 'http://user:hunter2hunter2@mail.example.com', /smtp:\/\/ or smtps:\/\//],
    ['INTERNAL_AUTH_SECRET', 'hunter2hunter2', /at least 32 bytes/],
    ['INTERNAL_AUTH_KEYS', 'k1=hunter2hunter2', /kid=secret pairs/],
  ])('names %s without repeating the secret in it', (name, value, expected) => {
    const problems = given({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name} must `));
    expect(problems[0]).toMatch(expected);
    expect(problems[0]).not.toContain('hunter2');
  });

  it('names every bad variable at once, one problem each', () => {
    const problems = given({
      PORT: 'abc',
      MAIL_FROM: 'nobody',
      INVITATION_TTL: '10m',
      DATABASE_URL: 'mysql://db',
    });
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'PORT',
      'DATABASE_URL',
      'INVITATION_TTL',
      'MAIL_FROM',
    ]);
  });

  it('reads 1 and 0 as true and false', () => {
    const config = loadConfig({ MAIL_WORKER_ENABLED: '1', MAIL_RETRY_BACKOFF: '0' }, secret);
    expect(config.mail).toMatchObject({ workerEnabled: true, retryBackoff: false });
  });

  it('reads TRUST_PROXY, CORS_ORIGINS and LOG_LEVEL', () => {
    expect(loadConfig({}, secret).httpSecurity).toEqual({ trustProxy: false, corsOrigins: [] });
    expect(
      loadConfig({ TRUST_PROXY: '2', CORS_ORIGINS: 'https://a.test, https://b.test' }, secret)
        .httpSecurity,
    ).toEqual({ trustProxy: 2, corsOrigins: ['https://a.test', 'https://b.test'] });
    expect(loadConfig({ TRUST_PROXY: 'true' }, secret).httpSecurity.trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback' }, secret).httpSecurity.trustProxy).toBe(
      'loopback',
    );
    expect(loadConfig({}, secret).logLevel).toBe('info');
    expect(loadConfig({ NODE_ENV: 'test' }, secret).logLevel).toBe('silent');
    expect(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }, secret).logLevel).toBe('debug');
  });
});

describe('.env.example', () => {
  const text = readFileSync('.env.example', 'utf8');
  const lines = text.split('\n');

  it('lists every variable the schema reads, in its order, each under its own comment', () => {
    const listed = lines.flatMap((line) => /^([A-Z_]+)=/.exec(line)?.[1] ?? []);
    const schema = getMetadataStorage()
      .getTargetValidationMetadatas(Environment, '', true, false)
      .map((rule) => rule.propertyName);
    expect(listed).toEqual([...new Set(schema)]);
    for (const name of listed) {
      const at = lines.findIndex((line) => line.startsWith(`${name}=`));
      expect(lines[at - 1]).toMatch(/^# /);
    }
  });

  it('shows the defaults: copied as it is, it changes nothing', () => {
    expect(loadConfig(parseEnv(text), secret)).toEqual(loadConfig({}, secret));
  });
});
