import {
  Body,
  Controller,
  Global,
  HttpCode,
  Logger as NestLogger,
  Module,
  Post,
  type INestApplication,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger, PinoLogger } from 'nestjs-pino';
import request from 'supertest';
import { CommonModule } from '../common/common.module.js';
import { JsonBodyMiddleware } from '../common/json-body.middleware.js';
import { AppConfig } from '../config/app-config.js';
import { loadConfig } from '../config/config.schema.js';
import { pino } from 'pino';
import { pinoOptions, requestLevels } from './logger-options.js';
import { LOG_DESTINATION, LoggingModule } from './logging.module.js';
import { REDACTED, redactText } from './redact.js';

const JWT =
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwib3JnIjoiYWJjIn0.dGhpcyBpcyBub3QgYSBzaWduYXR1cmU';

describe('redactText', () => {
  it('removes credentials after an auth scheme, keeping the scheme', () => {
    expect(redactText(`Authorization: Internal ${JWT}`)).toBe(
      `Authorization: Internal ${REDACTED}`,
    );
    expect(redactText('Bearer abc.def-ghi_jkl-mno')).toBe(`Bearer ${REDACTED}`);
  });

  it('removes a bare JWT anywhere in a message', () => {
    expect(redactText(`minted ${JWT} for you`)).toBe(`minted ${REDACTED} for you`);
  });

  it('removes a personal access token, its prefix included, wherever it appears', () => {
    const pat = `brms_pat_${'A1b2C3'.repeat(8)}x`;
    expect(redactText(`Authorization: Bearer ${pat}`)).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText(`leaked ${pat}, and a piece: ${pat.slice(0, 12)}`)).toBe(
      `leaked ${REDACTED}, and a piece: ${REDACTED}`,
    );
    expect(redactText(JSON.stringify({ msg: `x=${pat}` }))).toBe(
      JSON.stringify({ msg: `x=${REDACTED}` }),
    );
  });

  it('removes the token of an accept link and keeps the rest of the URL', () => {
    expect(
      redactText('see http://localhost:3000/invitations/accept?token=Zm9vYmFy_-x&lang=en'),
    ).toBe(`see http://localhost:3000/invitations/accept?token=${REDACTED}&lang=en`);
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      'invitation 6f1c (#2) sent to someone@example.com in 12ms',
      'Internal server error',
      'GET /api/invitations?status=pending&cursor=abc 200 3ms',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });

  it('works on a serialized log line', () => {
    const line = JSON.stringify({
      msg: `boom with Internal ${JWT}`,
      url: '/a?token=xyz',
      quoted: 'link "/a?token=xyz"',
    });
    expect(JSON.parse(redactText(line))).toEqual({
      msg: `boom with Internal ${REDACTED}`,
      url: `/a?token=${REDACTED}`,
      quoted: `link "/a?token=${REDACTED}"`,
    });
  });
});

/** Resolves the slow probe's answer; the test that aborts it sets it. */
let releaseSlow: (() => void) | undefined;
let slowStarted: (() => void) | undefined;

@Controller('probe')
class ProbeController {
  private readonly logger = new NestLogger('Probe');

  constructor(private readonly pino: PinoLogger) {}

  @Post('assign')
  @HttpCode(200)
  async assign() {
    this.pino.assign({ tenant: 'acme' });
    await new Promise((resolve) => setImmediate(resolve));
    this.logger.log('after assign');
    return { ok: true };
  }

  @Post('slow')
  @HttpCode(200)
  async slow() {
    await new Promise<void>((resolve) => {
      releaseSlow = resolve;
      slowStarted?.();
    });
    return { ok: true };
  }

  @Post()
  @HttpCode(200)
  probe(@Body() body: { link?: string }) {
    this.logger.log(`accept link ${body.link} with Internal ${JWT}`);
    return { ok: true };
  }

  @Post('fail')
  fail() {
    throw new Error(`boom with Internal ${JWT}`);
  }
}

@Global()
@Module({
  providers: [
    {
      provide: AppConfig,
      useFactory: () => AppConfig.from(loadConfig({ ...process.env, LOG_LEVEL: 'info' })),
    },
  ],
  exports: [AppConfig],
})
class TestConfigModule {}

/** The probe behind the app's body parser, mounted as AppModule mounts it. */
@Module({ controllers: [ProbeController] })
class ProbeModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(JsonBodyMiddleware).forRoutes('{*path}');
  }
}

type Line = Record<string, unknown> & { msg?: string; reqId?: string };

describe('request logging', () => {
  let app: INestApplication;
  const written: string[] = [];
  const lines = (): Line[] => written.map((text) => JSON.parse(text) as Line);

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [TestConfigModule, LoggingModule, CommonModule, ProbeModule],
    })
      .overrideProvider(LOG_DESTINATION)
      .useValue({ write: (line: string) => written.push(line) })
      .compile();
    app = moduleRef.createNestApplication({ bodyParser: false, bufferLogs: true });
    app.useLogger(app.get(Logger));
    await app.init();
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => {
    written.length = 0;
  });

  it('writes one line per request with its request id, status and duration', async () => {
    const res = await request(app.getHttpServer()).post('/probe').send({}).expect(200);
    const requestLines = lines().filter((line) => line.res !== undefined);
    expect(requestLines).toHaveLength(1);
    expect(requestLines[0]).toMatchObject({
      level: 'info',
      reqId: res.headers['x-request-id'],
      req: { method: 'POST', url: '/probe' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    // Lines logged while handling the request carry the same id.
    const handlerLine = lines().find((line) => line.context === 'Probe');
    expect(handlerLine?.reqId).toBe(res.headers['x-request-id']);
  });

  it('keeps fields a handler assigns (PinoLogger.assign) on its later lines, across awaits', async () => {
    const res = await request(app.getHttpServer()).post('/probe/assign').send({}).expect(200);
    expect(lines().find((line) => line.msg === 'after assign')).toMatchObject({
      reqId: res.headers['x-request-id'],
      tenant: 'acme',
      context: 'Probe',
    });
  });

  it('logs a request whose client went away before the answer, marked aborted', async () => {
    const server = app.getHttpServer() as import('node:http').Server;
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, resolve));
    const { port } = server.address() as AddressInfo;
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const client = httpRequest({ port, method: 'POST', path: '/probe/slow' });
    client.on('error', () => undefined);
    client.end();
    await started;
    client.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    releaseSlow?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(lines().find((line) => line.res)).toMatchObject({
      aborted: true,
      req: { method: 'POST', url: '/probe/slow' },
      reqId: expect.any(String),
    });
  });

  it("keeps Nest's boot narration out of info: its lines are debug", () => {
    new NestLogger('InstanceLoader').log('AppModule dependencies initialized');
    new NestLogger('RouterExplorer').log('Mapped {/api/users, POST} route');
    new NestLogger('Main').log('listening');
    expect(lines().map((line) => line.context)).toEqual(['Main']);

    const debug: string[] = [];
    const config = AppConfig.from(loadConfig({ ...process.env, LOG_LEVEL: 'debug' }));
    const logger = pino(pinoOptions(config), { write: (line: string) => debug.push(line) });
    logger.info({ context: 'InstanceLoader' }, 'AppModule dependencies initialized');
    logger.info({ context: 'Main' }, 'listening');
    expect(debug.map((line) => JSON.parse(line) as Line).map((l) => [l.level, l.context])).toEqual([
      ['debug', 'InstanceLoader'],
      ['info', 'Main'],
    ]);
  });

  it("reuses the caller's X-Request-Id", async () => {
    await request(app.getHttpServer())
      .post('/probe')
      .set('X-Request-Id', 'caller-id-42')
      .send({})
      .expect(200);
    expect(lines().find((line) => line.res)?.reqId).toBe('caller-id-42');
  });

  it('logs a request the body parser refuses', async () => {
    const res = await request(app.getHttpServer())
      .post('/probe')
      .set('Content-Type', 'text/plain')
      .send('not json');
    expect(res.status).toBe(415);
    expect(lines().find((line) => line.res)).toMatchObject({
      reqId: res.headers['x-request-id'],
      res: { statusCode: 415 },
    });
  });

  it('logs a server error at error level, without an invented stack', async () => {
    const res = await request(app.getHttpServer()).post('/probe/fail').send({}).expect(500);
    const line = lines().find((candidate) => candidate.res);
    expect(line).toMatchObject({
      level: 'error',
      reqId: res.headers['x-request-id'],
      res: { statusCode: 500 },
      msg: expect.stringMatching(/^POST \/probe\/fail 500 \d+ms$/),
    });
    expect(line).not.toHaveProperty('err');
    // Nest's own line about the exception keeps the error's type, and loses the token.
    expect(lines().find((candidate) => candidate.err)).toMatchObject({
      level: 'error',
      err: { type: 'Error', message: `boom with Internal ${REDACTED}` },
    });
    expect(written.join('')).not.toContain(JWT);
  });

  it('never writes the Authorization header, a token or an accept link', async () => {
    const acceptToken = 'c2VjcmV0LWFjY2VwdC10b2tlbi12YWx1ZQ';
    await request(app.getHttpServer())
      .post(`/probe?token=${acceptToken}`)
      .set('Authorization', `Internal ${JWT}`)
      .send({ link: `http://localhost:3000/invitations/accept?token=${acceptToken}` })
      .expect(200);
    const all = written.join('');
    expect(all).not.toContain(JWT);
    expect(all).not.toContain(acceptToken);
    expect(all).toContain(REDACTED);
    expect(lines().find((line) => line.res)).toMatchObject({
      req: { url: `/probe?token=${REDACTED}` },
    });
  });
});

describe('request line level', () => {
  const levelAt = (logLevel: string, url: string, statusCode: number) =>
    requestLevels(logLevel).of({ url, originalUrl: url }, { statusCode });

  it('is silent when the level it would have is not written, so nothing is built for it', () => {
    expect(levelAt('info', '/api/users', 200)).toBe('info');
    expect(levelAt('warn', '/api/users', 200)).toBe('silent');
    expect(levelAt('info', '/api/health/ready', 200)).toBe('silent');
    expect(levelAt('debug', '/api/health/ready', 200)).toBe('debug');
  });

  it('knows when no request line is written at all', () => {
    expect(requestLevels('silent').none).toBe(true);
    expect(requestLevels('fatal').none).toBe(true);
    expect(requestLevels('warn').none).toBe(false);
  });

  it('keeps server errors at error while error is written', () => {
    expect(levelAt('warn', '/api/users', 500)).toBe('error');
    expect(levelAt('error', '/api/users', 503)).toBe('error');
    expect(levelAt('silent', '/api/users', 500)).toBe('silent');
  });
});
