import { plainToInstance } from 'class-transformer';
import Handlebars from 'handlebars';
import ms from 'ms';
import {
  Duration,
  Flag,
  Integer,
  OneOf,
  Refused,
  RequiredInProduction,
  ShorterThan,
  Text,
  Url,
  Variable,
} from './variables.js';

/** Raw environment as it arrives: every value a string or absent. */
export type RawEnv = Record<string, string | undefined>;

export type NodeEnv = 'development' | 'production' | 'test';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AuthKey {
  kid: string | undefined;
  secret: Uint8Array;
}

/** Where the accept link's token goes in INVITATION_ACCEPT_URL. */
export const TOKEN_PLACEHOLDER = '{token}';
const ACCEPT_URL_EXAMPLE = `such as https://app.example.com/join?token=${TOKEN_PLACEHOLDER}`;

/** Checked at boot, so a typo never sends a link without its token. */
function acceptUrlTemplate(text: string): string | Refused {
  if (text.split(TOKEN_PLACEHOLDER).length !== 2) {
    return new Refused(`contain ${TOKEN_PLACEHOLDER} exactly once, ${ACCEPT_URL_EXAMPLE}`);
  }
  const { protocol } = URL.parse(text.replace(TOKEN_PLACEHOLDER, 'token')) ?? {};
  return protocol === 'http:' || protocol === 'https:'
    ? text
    : new Refused(`be an absolute http(s) URL, ${ACCEPT_URL_EXAMPLE}`);
}

// A display name is optional; the address needs a local part, an @ and a domain.
const MAIL_FROM_PATTERN = /^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/;

function handlebarsTemplate(text: string): string | Refused {
  try {
    Handlebars.parse(text);
    return text.trim() ? text : new Refused();
  } catch {
    return new Refused();
  }
}

/** `kid=secret` pairs separated by commas, so a new key can be added before the old one goes. */
function authKeys(text: string): AuthKey[] | Refused {
  const keys: AuthKey[] = [];
  for (const pair of text.split(',').map((p) => p.trim())) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const secret = pair.slice(eq + 1);
    if (eq < 1 || Buffer.byteLength(secret) < 32) return new Refused();
    keys.push({ kid: pair.slice(0, eq), secret: new TextEncoder().encode(secret) });
  }
  return keys;
}

/** Express's `trust proxy`: `true`/`false`, a hop count, or its address list syntax. */
function trustProxy(text: string): boolean | number | string {
  if (text === 'true' || text === 'false') return text === 'true';
  return /^\d+$/.test(text) ? Number(text) : text;
}

const commaList = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Every variable the service reads, each with its parsing and rules (the decorator) and its
 * default (the initializer); no initializer: unset, or a default that depends on another variable
 * (see loadConfig). What each one is for: `.env.example`, which a spec keeps to the same list.
 */
export class Environment {
  @OneOf(['development', 'production', 'test'])
  NODE_ENV: NodeEnv = 'development';

  @Integer(0, 65535)
  PORT = 3000;

  @Text()
  HOST = '127.0.0.1';

  @Duration({ min: '1s' })
  SHUTDOWN_GRACE_PERIOD = ms('30s');

  @Url(['http', 'https'])
  APP_URL?: string;

  @Variable(`be an absolute http(s) URL with ${TOKEN_PLACEHOLDER}`, acceptUrlTemplate)
  INVITATION_ACCEPT_URL?: string;

  @Variable('be true, false, a hop count or addresses', trustProxy)
  TRUST_PROXY: boolean | number | string = false;

  @Variable('be origins separated by commas', commaList)
  CORS_ORIGINS: string[] = [];

  @OneOf(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @RequiredInProduction('no embedded database in production')
  @Url(['postgres', 'postgresql'], { secret: true })
  DATABASE_URL?: string;

  @Flag()
  DATABASE_RUN_MIGRATIONS = true;

  @Integer(1, 200)
  DATABASE_POOL_SIZE = 10;

  @Duration()
  DATABASE_STATEMENT_TIMEOUT = ms('15s');

  @Text()
  EMBEDDED_POSTGRES_DIR = '.data/postgres';

  @RequiredInProduction(
    'or INTERNAL_AUTH_KEYS, as no secret is generated in production',
    'INTERNAL_AUTH_KEYS',
  )
  @Text({ minBytes: 32, secret: true })
  INTERNAL_AUTH_SECRET?: string;

  @Variable('be kid=secret pairs separated by commas, each secret at least 32 bytes', authKeys, {
    secret: true,
  })
  INTERNAL_AUTH_KEYS?: AuthKey[];

  @Text()
  INTERNAL_AUTH_ISSUER = 'brms';

  @Duration({ min: '1h', max: '30d', orNever: true })
  INVITATION_TTL: number | null = ms('7d');

  @Duration()
  INVITATION_RESEND_COOLDOWN = ms('60s');

  @Integer(1, 100_000)
  RATE_LIMIT_ACCEPT_PER_MINUTE = 10;

  @Integer(1, 1_000_000)
  RATE_LIMIT_INVITATIONS_PER_HOUR = 100;

  @Integer(0, 1_000_000)
  RATE_LIMIT_REQUESTS_PER_MINUTE = 600;

  @RequiredInProduction('without it mail is only written to files')
  @Url(['smtp', 'smtps'], { secret: true })
  SMTP_URL?: string;

  @Variable('be an address, optionally with a name: Name <a@b.c>', (text) =>
    MAIL_FROM_PATTERN.test(text.trim()) ? text.trim() : new Refused(),
  )
  MAIL_FROM = 'BRMS <no-reply@localhost>';

  @Variable('be a non-empty Handlebars template', handlebarsTemplate)
  MAIL_SUBJECT = 'You are invited to join {{organisationName}} on BRMS';

  @Text()
  MAIL_DIR = '.data/mail';

  @Flag()
  MAIL_WORKER_ENABLED?: boolean;

  @Integer(1, 50)
  MAIL_WORKER_CONCURRENCY = 4;

  @Duration({ min: '500ms' })
  MAIL_POLL_INTERVAL = ms('2s');

  @Integer(1, 100)
  MAIL_MAX_ATTEMPTS = 10;

  @Duration({ wholeSeconds: true })
  MAIL_RETRY_DELAY = ms('5s');

  @Flag()
  MAIL_RETRY_BACKOFF = true;

  @Duration({ min: '1s', max: '10m' })
  MAIL_SEND_TIMEOUT = ms('20s');

  @ShorterThan('SHUTDOWN_GRACE_PERIOD', 'as the worker drains within it')
  @Duration()
  MAIL_SHUTDOWN_TIMEOUT = ms('20s');
}

/** The variables of `raw` this service reads, parsed; refused values wait for validateSync. */
export function parseEnvironment(raw: RawEnv): Environment {
  // `NAME=` (as in a copied .env.example) means "not set", not "set to nothing".
  const given = Object.fromEntries(
    Object.entries(raw).filter(([, value]) => value !== undefined && value !== ''),
  );
  return plainToInstance(Environment, given, {
    excludeExtraneousValues: true,
    exposeDefaultValues: true,
  });
}
