/**
 * The NestJS floor of the invite-throughput scenario (a diagnostic, not a target): the baseline's
 * own handler (invite-handler.ts) behind a bare NestJS 12 + Express route, the platform the
 * service runs on, with nothing of the service's: no guard, pipe, filter, middleware, body parser,
 * logger or ORM. Its distance from the baseline is what the framework costs; the service's
 * distance from it is what the service's own layers cost.
 */
import 'reflect-metadata';
import { Controller, Get, Module, Post, Req, Res } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Request, Response } from 'express';
import { answerError, close, config, invite } from './invite-handler.js';

@Controller()
class FloorController {
  @Get('ready')
  ready(): string {
    return 'ok';
  }

  // @Res(): the handler writes the response itself, as it does under node:http.
  @Post('api/users')
  async invite(@Req() req: Request, @Res() res: Response): Promise<void> {
    await invite(req, res).catch((error: unknown) => answerError(res, error));
  }
}

@Module({ controllers: [FloorController] })
class FloorModule {}

// bodyParser: false: the handler reads the body itself, as under node:http.
const app = await NestFactory.create(FloorModule, { bodyParser: false, logger: ['error'] });
await app.listen(config.http.port, config.http.host);
const stop = () => {
  void app
    .close()
    .then(close)
    .then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
