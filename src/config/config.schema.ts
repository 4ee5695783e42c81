import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { plainToInstance } from 'class-transformer';
import {
  IsBooleanString,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';
import Handlebars from 'handlebars';
import { durationMs } from '../common/duration.js';
import { Type } from 'class-transformer';

/** Raw environment as it arrives: every value a string or absent. */
export type RawEnv = Record<string, string | undefined>;

/** Raised when the environment is unusable; its message is one line naming every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The variables this service reads, validated with class-validator. `.env.example` documents each
 * one; keep the two in step.
 */
class EnvironmentVariables {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsString()
  HOST?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'], require_protocol: true })
  APP_URL?: string;

  @IsOptional()
  @IsString()
  INVITATION_ACCEPT_URL?: string;

  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['postgres', 'postgresql'], require_protocol: true })
  DATABASE_URL?: string;

  @IsOptional()
  @IsBooleanString()
  DATABASE_RUN_MIGRATIONS?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE?: number;

  @IsOptional()
  @IsString()
  DATABASE_STATEMENT_TIMEOUT?: string;

  @IsOptional()
  @IsString()
  EMBEDDED_POSTGRES_DIR?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'INTERNAL_AUTH_SECRET must be at least 32 bytes' })
  INTERNAL_AUTH_SECRET?: string;

  @IsOptional()
  @IsString()
  INTERNAL_AUTH_KEYS?: string;

  @IsOptional()
  @IsString()
  INTERNAL_AUTH_ISSUER?: string;

  @IsOptional()
  @IsString()
  INVITATION_TTL?: string;

  @IsOptional()
  @IsString()
  INVITATION_RESEND_COOLDOWN?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100000)
  RATE_LIMIT_ACCEPT_PER_MINUTE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000000)
  RATE_LIMIT_INVITATIONS_PER_HOUR?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(1000000)
  RATE_LIMIT_REQUESTS_PER_MINUTE?: number;

  @IsOptional()
  @IsString()
  TRUST_PROXY?: string;

  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  // Empty counts as unset, so `SMTP_URL=` (as in .env.example) selects the file transport.
  @ValidateIf((env: EnvironmentVariables) => Boolean(env.SMTP_URL))
  @IsUrl({ require_tld: false, protocols: ['smtp', 'smtps'], require_protocol: true })
  SMTP_URL?: string;

  @IsOptional()
  @IsString()
  MAIL_FROM?: string;

  @IsOptional()
  @IsString()
  MAIL_SUBJECT?: string;

  @IsOptional()
  @IsString()
  MAIL_DIR?: string;

  @IsOptional()
  @IsBooleanString()
  MAIL_WORKER_ENABLED?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(50)
  MAIL_WORKER_CONCURRENCY?: number;

  @IsOptional()
  @IsString()
  MAIL_POLL_INTERVAL?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  MAIL_MAX_ATTEMPTS?: number;

  @IsOptional()
  @IsString()
  MAIL_RETRY_DELAY?: string;

  @IsOptional()
  @IsBooleanString()
  MAIL_RETRY_BACKOFF?: string;

  @IsOptional()
  @IsString()
  MAIL_SEND_TIMEOUT?: string;

  @IsOptional()
  @IsString()
  MAIL_SHUTDOWN_TIMEOUT?: string;

  @IsOptional()
  @IsString()
  SHUTDOWN_GRACE_PERIOD?: string;
}

export type NodeEnv = 'development' | 'production' | 'test';

export interface HttpConfig {
  port: number;
  host: string;
  /** Public base URL of this service, used for links in emails; never taken from a request. */
  appUrl: string;
  /**
   * The link in the invitation email, with `{token}` where the token goes: this service's own
   * accept page by default, or an external frontend's (`INVITATION_ACCEPT_URL`).
   */
  invitationAcceptUrl: string;
  /**
   * On SIGTERM/SIGINT the process finishes requests in flight, drains the mail worker and closes
   * its pools within this long; past it, it exits with 1 whatever is still running.
   */
  shutdownGracePeriodMs: number;
}

export interface DatabaseConfig {
  /** Absent outside production: the embedded PostgreSQL is started instead. */
  url: string | undefined;
  runMigrations: boolean;
  poolSize: number;
  /** PostgreSQL's statement_timeout for the app's pool; 0: none. */
  statementTimeoutMs: number;
  embeddedDir: string;
}

export interface AuthKey {
  kid: string | undefined;
  secret: Uint8Array;
}

export interface AuthConfig {
  /** Keys accepted for verification. The one without `kid` also verifies tokens that carry none. */
  keys: AuthKey[];
  issuer: string;
  /** Absent outside production when no secret is configured: one is generated and kept in .data/. */
  configured: boolean;
}

export interface InvitationsConfig {
  /** null: invitations never expire (`INVITATION_TTL=never`). */
  ttlMs: number | null;
  resendCooldownMs: number;
}

export interface MailConfig {
  /** smtp:// or smtps:// with credentials; absent: each message is written to `dir` as .eml. */
  smtpUrl: string | undefined;
  /** The From header, e.g. `BRMS <no-reply@example.com>`. */
  from: string;
  /** Handlebars template of the subject; sees `organisationName` and `inviterEmail`. */
  subject: string;
  /** Where the file transport writes messages when there is no SMTP_URL. */
  dir: string;
  /** Whether this process runs the delivery worker (every process can enqueue). */
  workerEnabled: boolean;
  /** Emails this process sends at the same time. */
  concurrency: number;
  /** How often an idle worker looks for new jobs. */
  pollIntervalMs: number;
  /** Delivery attempts per email before it is dead-lettered (the first one included). */
  maxAttempts: number;
  /** Delay before the first retry, whole seconds; doubled (with jitter) per retry with backoff. */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  /** One SMTP send (connect, greet, transfer) is abandoned after this. */
  sendTimeoutMs: number;
  /** On shutdown, sends in flight get this long to finish before their jobs are released. */
  shutdownTimeoutMs: number;
}

export interface AppConfigValues {
  nodeEnv: NodeEnv;
  http: HttpConfig;
  database: DatabaseConfig;
  auth: AuthConfig;
  invitations: InvitationsConfig;
  mail: MailConfig;
  rateLimits: RateLimitsConfig;
  httpSecurity: HttpSecurityConfig;
  logLevel: string;
}

export interface RateLimitsConfig {
  /** Accept attempts per client address per minute (token guessing is pointless, but noisy). */
  acceptPerMinute: number;
  /** Invitations an organisation may create or refresh per hour. */
  invitationsPerHour: number;
  /** Requests per client address per minute on the authenticated API; 0 switches it off. */
  requestsPerMinute: number;
}

export interface HttpSecurityConfig {
  /** Express `trust proxy`: set when behind a load balancer so limits see the client's address. */
  trustProxy: boolean | number | string;
  /** Origins allowed by CORS; empty: CORS stays off. */
  corsOrigins: string[];
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function parseDuration(name: string, value: string, problems: string[]): number | undefined {
  const parsed = durationMs(value);
  if (parsed === undefined) {
    problems.push(`${name} must be a duration such as 60s, 1h or 7d (got "${value}")`);
    return undefined;
  }
  return parsed;
}

function parseAuthKeys(raw: string, problems: string[]): AuthKey[] {
  // Format: kid=secret pairs separated by commas, so a rotated secret can be added before the old
  // one is removed. Secrets must not contain commas.
  const keys: AuthKey[] = [];
  for (const pair of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    const kid = eq > 0 ? pair.slice(0, eq) : '';
    const secret = eq > 0 ? pair.slice(eq + 1) : '';
    if (!kid || Buffer.byteLength(secret) < 32) {
      problems.push(
        'INTERNAL_AUTH_KEYS must be kid=secret pairs separated by commas, each secret at least 32 bytes',
      );
      return [];
    }
    keys.push({ kid, secret: new TextEncoder().encode(secret) });
  }
  return keys;
}

// A display name is optional; the address needs a local part, an @ and a domain.
const MAIL_FROM_PATTERN = /^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/;

function optionalDuration(
  name: string,
  value: string | undefined,
  fallback: number,
  problems: string[],
): number {
  if (value === undefined || value === '') return fallback;
  return parseDuration(name, value, problems) ?? fallback;
}

function readMailConfig(env: EnvironmentVariables, nodeEnv: NodeEnv, problems: string[]) {
  if (nodeEnv === 'production' && !env.SMTP_URL) {
    problems.push(
      'SMTP_URL is required when NODE_ENV=production (without it mail is only written to files)',
    );
  }
  const from = env.MAIL_FROM ?? 'BRMS <no-reply@localhost>';
  if (!MAIL_FROM_PATTERN.test(from.trim())) {
    problems.push(
      `MAIL_FROM must be an address, optionally with a name: Name <a@b.c> (got "${from}")`,
    );
  }
  const subject = env.MAIL_SUBJECT ?? 'You are invited to join {{organisationName}} on BRMS';
  try {
    if (!subject.trim()) throw new Error('empty');
    Handlebars.parse(subject);
  } catch {
    problems.push('MAIL_SUBJECT must be a non-empty Handlebars template');
  }

  const pollIntervalMs = optionalDuration(
    'MAIL_POLL_INTERVAL',
    env.MAIL_POLL_INTERVAL,
    2000,
    problems,
  );
  if (pollIntervalMs < 500) problems.push('MAIL_POLL_INTERVAL must be at least 500ms');
  const retryDelayMs = optionalDuration('MAIL_RETRY_DELAY', env.MAIL_RETRY_DELAY, 5000, problems);
  if (retryDelayMs % 1000 !== 0) {
    problems.push('MAIL_RETRY_DELAY must be whole seconds (the queue counts in seconds)');
  }
  const sendTimeoutMs = optionalDuration(
    'MAIL_SEND_TIMEOUT',
    env.MAIL_SEND_TIMEOUT,
    20_000,
    problems,
  );
  if (sendTimeoutMs < 1000 || sendTimeoutMs > 10 * 60_000) {
    problems.push('MAIL_SEND_TIMEOUT must be between 1s and 10m');
  }
  const shutdownTimeoutMs = optionalDuration(
    'MAIL_SHUTDOWN_TIMEOUT',
    env.MAIL_SHUTDOWN_TIMEOUT,
    20_000,
    problems,
  );

  return {
    smtpUrl: env.SMTP_URL || undefined,
    from: from.trim(),
    subject,
    dir: env.MAIL_DIR ?? '.data/mail',
    // Off by default under NODE_ENV=test, like logging: a test that does not exercise mail should
    // not race a worker changing the rows it asserts on. Mail tests switch it on.
    workerEnabled: (env.MAIL_WORKER_ENABLED ?? (nodeEnv === 'test' ? 'false' : 'true')) === 'true',
    concurrency: env.MAIL_WORKER_CONCURRENCY ?? 4,
    pollIntervalMs,
    maxAttempts: env.MAIL_MAX_ATTEMPTS ?? 10,
    retryDelaySeconds: Math.floor(retryDelayMs / 1000),
    retryBackoff: (env.MAIL_RETRY_BACKOFF ?? 'true') === 'true',
    sendTimeoutMs,
    shutdownTimeoutMs,
  } satisfies MailConfig;
}

/** Where the accept link's token goes in INVITATION_ACCEPT_URL. */
export const TOKEN_PLACEHOLDER = '{token}';

/**
 * INVITATION_ACCEPT_URL: an absolute http(s) URL with `{token}` exactly once, for example
 * `https://app.example.com/join?token={token}`. Checked at boot, so a typo never sends a link
 * without its token.
 */
function readAcceptUrl(value: string | undefined, appUrl: string, problems: string[]): string {
  const fallback = `${appUrl}/invitations/accept?token=${TOKEN_PLACEHOLDER}`;
  if (value === undefined) return fallback;
  const example = 'such as https://app.example.com/join?token={token}';
  if (value.split(TOKEN_PLACEHOLDER).length !== 2) {
    problems.push(`INVITATION_ACCEPT_URL must contain {token} exactly once, ${example}`);
    return fallback;
  }
  let url: URL | undefined;
  try {
    url = new URL(value.replace(TOKEN_PLACEHOLDER, 'token'));
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    problems.push(`INVITATION_ACCEPT_URL must be an absolute http(s) URL, ${example}`);
    return fallback;
  }
  return value;
}

/** `true`/`false`, a hop count, or Express's address list syntax. Unset: trust no proxy. */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === '' || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/**
 * Validates the environment once and returns the typed, namespaced configuration.
 * Throws ConfigError naming every bad variable.
 */
export function loadConfig(raw: RawEnv, generatedSecret?: string): AppConfigValues {
  // `NAME=` (as in a copied .env.example) means "not set", not "set to nothing".
  const given = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== ''));
  const env = plainToInstance(EnvironmentVariables, given, { excludeExtraneousValues: false });
  // One message per variable: class-validator lists a property's failed constraints last-declared
  // first, so the last one is the most basic (for PORT=abc: "must be an integer", not the range).
  const problems: string[] = validateSync(env, { skipMissingProperties: false }).flatMap(
    (error) => {
      const message = Object.values(error.constraints ?? {}).at(-1);
      if (!message) return [];
      return [message.startsWith(error.property) ? message : `${error.property}: ${message}`];
    },
  );

  const nodeEnv = (env.NODE_ENV ?? 'development') as NodeEnv;
  const production = nodeEnv === 'production';
  if (production && !env.DATABASE_URL) {
    problems.push(
      'DATABASE_URL is required when NODE_ENV=production (no embedded database in production)',
    );
  }

  const keys: AuthKey[] = [];
  if (env.INTERNAL_AUTH_KEYS) keys.push(...parseAuthKeys(env.INTERNAL_AUTH_KEYS, problems));
  const secret = env.INTERNAL_AUTH_SECRET ?? (production ? undefined : generatedSecret);
  if (secret) keys.push({ kid: undefined, secret: new TextEncoder().encode(secret) });
  if (production && !env.INTERNAL_AUTH_SECRET && !env.INTERNAL_AUTH_KEYS) {
    problems.push(
      'INTERNAL_AUTH_SECRET is required when NODE_ENV=production (no generated secret in production)',
    );
  }

  let ttlMs: number | null = 7 * DAY;
  if (env.INVITATION_TTL !== undefined && env.INVITATION_TTL !== '') {
    if (env.INVITATION_TTL === 'never') ttlMs = null;
    else {
      const parsed = parseDuration('INVITATION_TTL', env.INVITATION_TTL, problems);
      if (parsed !== undefined && (parsed < HOUR || parsed > 30 * DAY)) {
        problems.push('INVITATION_TTL must be between 1h and 30d, or never');
      } else if (parsed !== undefined) ttlMs = parsed;
    }
  }
  let resendCooldownMs = 60_000;
  if (env.INVITATION_RESEND_COOLDOWN !== undefined && env.INVITATION_RESEND_COOLDOWN !== '') {
    resendCooldownMs =
      parseDuration('INVITATION_RESEND_COOLDOWN', env.INVITATION_RESEND_COOLDOWN, problems) ?? 0;
  }

  const mail = readMailConfig(env, nodeEnv, problems);
  const shutdownGracePeriodMs = optionalDuration(
    'SHUTDOWN_GRACE_PERIOD',
    env.SHUTDOWN_GRACE_PERIOD,
    30_000,
    problems,
  );
  if (shutdownGracePeriodMs < 1000) problems.push('SHUTDOWN_GRACE_PERIOD must be at least 1s');
  else if (mail.shutdownTimeoutMs >= shutdownGracePeriodMs) {
    problems.push(
      'MAIL_SHUTDOWN_TIMEOUT must be shorter than SHUTDOWN_GRACE_PERIOD (the worker drains within it)',
    );
  }

  const port = env.PORT ?? 3000;
  const appUrl = (env.APP_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const invitationAcceptUrl = readAcceptUrl(env.INVITATION_ACCEPT_URL, appUrl, problems);

  const statementTimeoutMs = env.DATABASE_STATEMENT_TIMEOUT
    ? (parseDuration('DATABASE_STATEMENT_TIMEOUT', env.DATABASE_STATEMENT_TIMEOUT, problems) ?? 0)
    : 15_000;

  if (problems.length > 0) throw new ConfigError(problems);

  const host = env.HOST ?? '127.0.0.1';
  return {
    nodeEnv,
    http: {
      port,
      host,
      appUrl,
      invitationAcceptUrl,
      shutdownGracePeriodMs,
    },
    database: {
      url: env.DATABASE_URL || undefined,
      runMigrations: (env.DATABASE_RUN_MIGRATIONS ?? 'true') === 'true',
      poolSize: env.DATABASE_POOL_SIZE ?? 10,
      statementTimeoutMs,
      embeddedDir: env.EMBEDDED_POSTGRES_DIR ?? '.data/postgres',
    },
    auth: { keys, issuer: env.INTERNAL_AUTH_ISSUER ?? 'brms', configured: keys.length > 0 },
    invitations: { ttlMs, resendCooldownMs },
    mail,
    rateLimits: {
      acceptPerMinute: env.RATE_LIMIT_ACCEPT_PER_MINUTE ?? 10,
      invitationsPerHour: env.RATE_LIMIT_INVITATIONS_PER_HOUR ?? 100,
      requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE ?? 600,
    },
    httpSecurity: {
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      corsOrigins: (env.CORS_ORIGINS ?? '')
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    },
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
  };
}

/**
 * The process environment over the optional `.env` file, for entry points that need the
 * configuration before Nest starts (main, CLI, ormconfig). Inside the app, ConfigModule does this.
 */
export function readEnvironment(envFile = '.env'): RawEnv {
  let fromFile: RawEnv = {};
  try {
    fromFile = parseEnv(readFileSync(envFile, 'utf8'));
  } catch {
    // no .env file: the environment alone
  }
  return { ...fromFile, ...process.env };
}
