import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { validateSync } from 'class-validator';
import {
  parseEnvironment,
  TOKEN_PLACEHOLDER,
  type AuthKey,
  type Environment,
  type RawEnv,
} from './environment.js';

export { TOKEN_PLACEHOLDER, type NodeEnv, type RawEnv } from './environment.js';

/** Raised when the environment is unusable; its message is one line naming every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The parsed environment, grouped the way the services read it. Defaults that depend on another
 * variable are settled here; everything else already is in Environment.
 */
function namespaces(env: Environment, generatedSecret: string | undefined) {
  const production = env.NODE_ENV === 'production';
  const secret = env.INTERNAL_AUTH_SECRET ?? (production ? undefined : generatedSecret);
  const keys: AuthKey[] = [...(env.INTERNAL_AUTH_KEYS ?? [])];
  if (secret) keys.push({ kid: undefined, secret: new TextEncoder().encode(secret) });
  const appUrl = (env.APP_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');
  return {
    nodeEnv: env.NODE_ENV,
    http: {
      port: env.PORT,
      host: env.HOST,
      /** Public base URL of this service, used for links in emails; never taken from a request. */
      appUrl,
      /** The link in the invitation email, with `{token}` where the token goes. */
      invitationAcceptUrl:
        env.INVITATION_ACCEPT_URL ?? `${appUrl}/invitations/accept?token=${TOKEN_PLACEHOLDER}`,
      shutdownGracePeriodMs: env.SHUTDOWN_GRACE_PERIOD,
    },
    database: {
      /** Absent outside production: the embedded PostgreSQL is started instead. */
      url: env.DATABASE_URL,
      runMigrations: env.DATABASE_RUN_MIGRATIONS,
      poolSize: env.DATABASE_POOL_SIZE,
      /** 0: none. */
      statementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT,
      embeddedDir: env.EMBEDDED_POSTGRES_DIR,
    },
    auth: {
      /** Keys accepted for verification; the one without `kid` also verifies tokens without one. */
      keys,
      issuer: env.INTERNAL_AUTH_ISSUER,
      /** False only outside production with no secret at hand (none was generated). */
      configured: keys.length > 0,
    },
    invitations: {
      /** null: invitations never expire. */
      ttlMs: env.INVITATION_TTL,
      resendCooldownMs: env.INVITATION_RESEND_COOLDOWN,
    },
    mail: {
      /** Absent: each message is written to `dir` as an .eml file. */
      smtpUrl: env.SMTP_URL,
      from: env.MAIL_FROM,
      /** Handlebars template; sees `organisationName` and `inviterEmail`. */
      subject: env.MAIL_SUBJECT,
      dir: env.MAIL_DIR,
      // Off by default under NODE_ENV=test, like logging: a test that does not exercise mail should
      // not race a worker changing the rows it asserts on. Mail tests switch it on.
      workerEnabled: env.MAIL_WORKER_ENABLED ?? env.NODE_ENV !== 'test',
      concurrency: env.MAIL_WORKER_CONCURRENCY,
      pollIntervalMs: env.MAIL_POLL_INTERVAL,
      /** Delivery attempts per email before it is dead-lettered, the first one included. */
      maxAttempts: env.MAIL_MAX_ATTEMPTS,
      /** Before the first retry; doubled (with jitter) per retry with backoff. */
      retryDelaySeconds: env.MAIL_RETRY_DELAY / 1000,
      retryBackoff: env.MAIL_RETRY_BACKOFF,
      sendTimeoutMs: env.MAIL_SEND_TIMEOUT,
      shutdownTimeoutMs: env.MAIL_SHUTDOWN_TIMEOUT,
    },
    rateLimits: {
      acceptPerMinute: env.RATE_LIMIT_ACCEPT_PER_MINUTE,
      invitationsPerHour: env.RATE_LIMIT_INVITATIONS_PER_HOUR,
      /** 0 switches the limit off. */
      requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
    },
    httpSecurity: {
      trustProxy: env.TRUST_PROXY,
      /** Empty: CORS stays off. */
      corsOrigins: env.CORS_ORIGINS,
    },
    logLevel: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'silent' : 'info'),
  };
}

/** The typed configuration; what each variable means is in `.env.example`. */
export type AppConfigValues = ReturnType<typeof namespaces>;
export type MailConfig = AppConfigValues['mail'];

/**
 * Parses and validates the environment in one pass (Environment) and returns the typed, namespaced
 * configuration. Throws ConfigError naming every bad variable.
 */
export function loadConfig(raw: RawEnv, generatedSecret?: string): AppConfigValues {
  const env = parseEnvironment(raw);
  const problems = validateSync(env).flatMap((error) => Object.values(error.constraints ?? {}));
  if (problems.length > 0) throw new ConfigError(problems);
  return namespaces(env, generatedSecret);
}

/**
 * The process environment over the optional `.env` file: what every entry point, the app's
 * AppConfigModule included, hands to loadConfig.
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
