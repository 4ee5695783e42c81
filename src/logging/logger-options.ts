import { createRequire } from 'node:module';
import type { Response } from 'express';
import type { Params } from 'nestjs-pino';
import {
  levels,
  stdTimeFunctions,
  type DestinationStream,
  type LevelWithSilent,
  type LoggerOptions,
} from 'pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import { RequestIdMiddleware, type RequestWithId } from '../common/request-id.middleware.js';
import type { AppConfig } from '../config/app-config.js';
import { REDACTED_PATHS, redactText } from './redact.js';

type HttpRequest = RequestWithId;
type HttpOptions = PinoHttpOptions<HttpRequest, Response>;

const HEALTH_PATH = /^\/api\/health(\/|$)/;
const SYNTHETIC_ERROR = /^failed with status code \d+$/;
const requestIds = new RequestIdMiddleware();

/**
 * The request id of the log lines is the one RequestIdMiddleware gives the response: whichever of
 * the two middlewares runs first assigns it, the other keeps it.
 */
function requestIdFor(req: HttpRequest, res: Response): string {
  requestIds.use(req, res, () => undefined);
  return req.id;
}

function urlOf(req: HttpRequest): string {
  return req.originalUrl ?? req.url ?? '';
}

/** `POST /api/users 200 12ms`: the message of the request's line, readable in pretty mode. */
function requestLine(req: HttpRequest, res: Response, responseTime: number): string {
  return `${req.method} ${urlOf(req)} ${res.statusCode} ${responseTime}ms`;
}

/** Whether `level` is written at `threshold` (a pino level name, or 'silent'). */
function writes(level: string, threshold: string): boolean {
  const value = levels.values[level];
  const minimum = levels.values[threshold];
  return value !== undefined && minimum !== undefined && value >= minimum;
}

/** Pino options shared by production (JSON) and development (pretty) output. */
export function pinoOptions(config: AppConfig): LoggerOptions & HttpOptions {
  // The request line's level is decided per request; when that level is not written anyway, say
  // 'silent' and pino-http skips building the line's object and message.
  const levelIfWritten = (level: LevelWithSilent): LevelWithSilent =>
    writes(level, config.logLevel) ? level : 'silent';
  return {
    level: config.logLevel,
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    hooks: {
      // The last stop before a line is written, whatever put the secret in it: a message, an
      // error's message or stack, a field.
      streamWrite: redactText,
    },
    serializers: {
      // One compact line per request: no headers (Authorization, cookies).
      req: (req: HttpRequest) => ({ method: req.method, url: urlOf(req) }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
    // The serializers above get the request itself. pino-http would otherwise first copy it with
    // pino-std-serializers (every header, the parsed query, the peer address: a getpeername
    // system call) on every request, only for these to keep two fields (seen in the CPU profile).
    wrapSerializers: false,
    genReqId: (req, res) => requestIdFor(req, res),
    // Logs made while handling a request carry its id, not the whole request again.
    quietReqLogger: true,
    customLogLevel: (req, res, error) => {
      if (error || res.statusCode >= 500) return levelIfWritten('error');
      // Orchestrators probe every few seconds; a healthy answer is not worth a line at info.
      return levelIfWritten(HEALTH_PATH.test(urlOf(req)) ? 'debug' : 'info');
    },
    customSuccessMessage: requestLine,
    // pino-http passes the response time as a fourth argument; its type declaration omits it.
    customErrorMessage: ((req: HttpRequest, res: Response, _error: Error, responseTime: number) =>
      requestLine(req, res, responseTime)) as HttpOptions['customErrorMessage'],
    // For a 5xx answer pino-http invents an Error ("failed with status code 500") whose stack is its
    // own; the status says as much. A real error (from the response stream) is kept.
    customErrorObject: (_req, _res, error, value: Record<string, unknown>) =>
      SYNTHETIC_ERROR.test(error.message) ? { ...value, err: undefined } : value,
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

/**
 * nestjs-pino's parameters: JSON on stdout in production; pretty in development when pino-pretty
 * is installed. `destination` (tests) receives JSON instead of stdout.
 */
export async function loggerParams(
  config: AppConfig,
  destination?: DestinationStream | null,
): Promise<Params<HttpRequest, Response>> {
  const options = pinoOptions(config);
  if (destination) return { pinoHttp: [options, destination] };
  if (config.production || config.logLevel === 'silent') return { pinoHttp: options };
  const pretty = await prettyStream();
  return { pinoHttp: pretty ? [options, pretty] : options };
}
