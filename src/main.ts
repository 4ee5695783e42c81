import 'reflect-metadata';
import { ConsoleLogger, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module.js';
import { APP_OPTIONS, configureApp } from './app.setup.js';
import { ShutdownState } from './common/shutdown-state.js';
import { ConfigError } from './config/config.schema.js';
import { databaseForStart } from './database/database-for-start.js';
import { demoBanner, prepareDemo } from './demo/demo.js';
import { DOCS_PATH } from './openapi/openapi-document.js';

async function main(): Promise<void> {
  const { config, embedded } = await databaseForStart();

  // bufferLogs: what Nest logs while it boots waits for the pino logger. Should the boot fail
  // before there is one, the buffer goes to Nest's console logger: JSON too in production.
  const app = configureApp(
    await NestFactory.create(AppModule, {
      ...APP_OPTIONS,
      bufferLogs: true,
      logger: config.nodeEnv === 'production' ? new ConsoleLogger({ json: true }) : undefined,
    }),
  );
  app.useLogger(app.get(Logger));
  const logger = new NestLogger('Main');
  if (embedded) {
    logger.log(
      `Embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${config.database.embeddedDir}` +
        `${embedded.owned ? '' : ', started by another process'})`,
    );
  }

  // Nest's close order: the mail worker drains (MAIL_SHUTDOWN_TIMEOUT) while HTTP still serves,
  // then the listener closes and waits for the requests in flight, then the pools close. Whatever
  // hangs in there, the process is gone within SHUTDOWN_GRACE_PERIOD.
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    // Readiness answers 503 from now on; the listener stays open while the worker drains.
    app.get(ShutdownState).begin();
    const graceMs = config.http.shutdownGracePeriodMs;
    logger.log(`${signal} received: closing (grace period ${graceMs} ms)`);
    setTimeout(() => {
      logger.error(`still closing after the ${graceMs} ms grace period: exiting`);
      process.exit(1);
    }, graceMs).unref();
    void app
      .close()
      .then(() => embedded?.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(`brms-api listening on ${url} (Node.js ${process.version})`);
  logger.log(`Swagger UI: ${url}/${DOCS_PATH}`);

  // Zero-setup development only: never with a configured database, never in production.
  if (embedded && config.nodeEnv !== 'production') {
    const demo = await prepareDemo(app);
    // Printed, not logged: the log redacts tokens, and this one is meant to be copied.
    console.log(demoBanner(demo, `${url}/${DOCS_PATH}`));
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else if ((error as NodeJS.ErrnoException | null)?.code === 'EADDRINUSE') {
    const { port } = error as { port?: number };
    console.error(`port ${port} is in use — is brms-api already running? set PORT`);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
