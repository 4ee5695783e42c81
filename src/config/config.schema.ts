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
  validateSync,
} from 'class-validator';
import ms, { type StringValue } from 'ms';
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
}

export type NodeEnv = 'development' | 'production' | 'test';

export interface HttpConfig {
  port: number;
  host: string;
  /** Public base URL of this service, used for links in emails; never taken from a request. */
  appUrl: string;
}

export interface DatabaseConfig {
  /** Absent outside production: the embedded PostgreSQL is started instead. */
  url: string | undefined;
  runMigrations: boolean;
  poolSize: number;
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

export interface AppConfigValues {
  nodeEnv: NodeEnv;
  http: HttpConfig;
  database: DatabaseConfig;
  auth: AuthConfig;
  invitations: InvitationsConfig;
  logLevel: string;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function parseDuration(name: string, value: string, problems: string[]): number | undefined {
  const parsed = /^\d+$/.test(value) ? Number(value) * 1000 : ms(value as StringValue);
  if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
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

/**
 * Validates the environment once and returns the typed, namespaced configuration.
 * Throws ConfigError naming every bad variable.
 */
export function loadConfig(raw: RawEnv, generatedSecret?: string): AppConfigValues {
  const env = plainToInstance(EnvironmentVariables, raw, { excludeExtraneousValues: false });
  const problems: string[] = validateSync(env, { skipMissingProperties: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(error.property) ? message : `${error.property}: ${message}`,
    ),
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

  if (problems.length > 0) throw new ConfigError(problems);

  const port = env.PORT ?? 3000;
  const host = env.HOST ?? '127.0.0.1';
  return {
    nodeEnv,
    http: {
      port,
      host,
      appUrl: (env.APP_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    },
    database: {
      url: env.DATABASE_URL || undefined,
      runMigrations: (env.DATABASE_RUN_MIGRATIONS ?? 'true') === 'true',
      poolSize: env.DATABASE_POOL_SIZE ?? 10,
      embeddedDir: env.EMBEDDED_POSTGRES_DIR ?? '.data/postgres',
    },
    auth: { keys, issuer: env.INTERNAL_AUTH_ISSUER ?? 'brms', configured: keys.length > 0 },
    invitations: { ttlMs, resendCooldownMs },
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
