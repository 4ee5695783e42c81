import { createRequire } from 'node:module';
import type { Response } from 'express';
import type { Params } from 'nestjs-pino';
import {
  levels,
  stdTimeFunctions,
  type DestinationStream,
  type Level,
  type LevelWithSilent,
  type LoggerOptions,
} from 'pino';
import type { Options } from 'pino-http';
import { assignRequestId, type RequestWithId } from '../common/request-id.js';
import type { AppConfig } from '../config/app-config.js';
import { REDACTED_PATHS, redactText } from './redact.js';

type HttpRequest = RequestWithId;

const HEALTH_PATH = /^\/api\/health(\/|$)/;

function urlOf(req: HttpRequest): string {
  return req.originalUrl ?? req.url ?? '';
}

/** `POST /api/users 200 12ms`: the message of the request's line, readable in pretty mode. */
export function requestLine(req: HttpRequest, res: Response, responseTime: number): string {
  return `${req.method} ${urlOf(req)} ${res.statusCode} ${responseTime}ms`;
}

/** Whether `level` is written at `threshold` (a pino level name, or 'silent'). */
function writes(level: string, threshold: string): boolean {
  const value = levels.values[level];
  const minimum = levels.values[threshold];
  return value !== undefined && minimum !== undefined && value >= minimum;
}

export interface RequestLevels {
  /** No request line is ever written at this threshold. */
  none: boolean;
  /** The level of a request's line, 'silent' when that level is not written. */
  of(req: Pick<HttpRequest, 'originalUrl' | 'url'>, res: { statusCode: number }): LevelWithSilent;
}

/**
 * The request line's level: error for a 5xx answer; info otherwise, except successful health
 * probes (orchestrators probe every few seconds), which are debug. When that level is not written
 * at `threshold` the answer is 'silent', and nothing is built for the line.
 */
export function requestLevels(threshold: string): RequestLevels {
  const ifWritten = (level: Level): LevelWithSilent =>
    writes(level, threshold) ? level : 'silent';
  const error = ifWritten('error');
  const info = ifWritten('info');
  const debug = ifWritten('debug');
  return {
    // error is the highest of the three: where it is not written, neither are the others.
    none: error === 'silent',
    of: (req, res) => {
      if (res.statusCode >= 500) return error;
      return HEALTH_PATH.test(urlOf(req as HttpRequest)) ? debug : info;
    },
  };
}

/**
 * Nest's boot narration (a line per module and per route, some thirty in all) buries the lines a
 * person starting the service needs. It is written at debug: `LOG_LEVEL=debug` shows it.
 */
const BOOT_NARRATION = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
]);

function isBootNarration(args: unknown[]): boolean {
  const [first] = args;
  return (
    typeof first === 'object' &&
    first !== null &&
    BOOT_NARRATION.has((first as { context?: unknown }).context as string)
  );
}

/** Pino options shared by production (JSON) and development (pretty) output. */
export function pinoOptions(config: AppConfig): LoggerOptions {
  return {
    level: config.logLevel,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    hooks: {
      logMethod(args, method, level) {
        if (level === levels.values.info && isBootNarration(args)) return this.debug(...args);
        return method.apply(this, args);
      },
      // The last stop before a line is written, whatever put the secret in it: a message, an
      // error's message or stack, a field.
      streamWrite: redactText,
    },
    serializers: {
      // One compact line per request: no headers (Authorization, cookies).
      req: (req: HttpRequest) => ({ method: req.method, url: urlOf(req) }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/**
 * pino-pretty, when it is installed: it is a development dependency, so production (which installs
 * with --omit=dev) never loads it and logs JSON.
 */
async function prettyStream(): Promise<DestinationStream | undefined> {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
  } catch {
    return undefined;
  }
  const { default: pretty } = await import('pino-pretty');
  return pretty({
    colorize: process.stdout.isTTY === true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat: '{if context}[{context}] {end}{msg}',
    // Synchronous, in this thread: lines keep their order with what main.ts prints, and none is
    // lost when the process exits.
    sync: true,
  });
}

/** The client went away before the response was complete: the status is what it would have had. */
function withAborted(res: Response, fields: object): object {
  return res.writableFinished ? fields : { ...fields, aborted: true };
}

/**
 * pino-http's request line, one per request when it ends: `POST /api/users 200 12ms`, with its
 * id, method, URL, status and duration, at the level `requestLevels` gives, and `aborted` when the
 * client went away first. Lines logged while handling it carry only its `reqId` (quietReqLogger),
 * through nestjs-pino's context, so `PinoLogger.assign` works in handlers too.
 */
function httpOptions(config: AppConfig): Options<HttpRequest, Response> {
  const levels = requestLevels(config.logLevel);
  return {
    ...pinoOptions(config),
    // The id app.setup.ts assigned on arrival; in an app built without it, assigned here.
    genReqId: (req, res) => assignRequestId(req, res),
    quietReqLogger: true,
    customLogLevel: (req, res, error) => (error && !levels.none ? 'error' : levels.of(req, res)),
    customSuccessMessage: requestLine,
    // pino-http passes the response time to this one too; its types stop at the error.
    customErrorMessage: ((req: HttpRequest, res: Response, _error: Error, responseTime: number) =>
      requestLine(req, res, responseTime)) as Options<HttpRequest, Response>['customErrorMessage'],
    customSuccessObject: (_req, res, fields: object) => withAborted(res, fields),
    // No `err`: for a 5xx pino-http invents one ("failed with status code 500"), and the real
    // error has its own line from the exception filter.
    customErrorObject: (_req, res, _error, { err: _err, ...fields }: Record<string, unknown>) =>
      withAborted(res, fields),
  };
}

/**
 * nestjs-pino's parameters: JSON on stdout in production; pretty in development when pino-pretty
 * is installed. `destination` (tests) receives JSON instead of stdout. nestjs-pino mounts
 * pino-http on every route, ahead of the body parser (see AppModule.configure), so a refused body
 * is logged too.
 */
export async function loggerParams(
  config: AppConfig,
  destination?: DestinationStream | null,
): Promise<Params<HttpRequest, Response>> {
  const options = httpOptions(config);
  if (destination) return { pinoHttp: [options, destination] };
  if (config.production || config.logLevel === 'silent') return { pinoHttp: options };
  const pretty = await prettyStream();
  return { pinoHttp: pretty ? [options, pretty] : options };
}
