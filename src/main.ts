import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { APP_OPTIONS, configureApp } from './app.setup.js';
import { ConfigError, loadConfig, readEnvironment } from './config/config.schema.js';
import { devSecretFor } from './config/dev-secret.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './database/embedded-postgres.js';

async function main(): Promise<void> {
  const env = readEnvironment();
  const config = loadConfig(env, devSecretFor(env));

  let embedded: EmbeddedServer | undefined;
  if (!config.database.url) {
    embedded = await startEmbeddedPostgres(config.database.embeddedDir);
    // The app's ConfigModule validates the environment again; hand it the embedded server.
    process.env.DATABASE_URL = embedded.url;
    console.log(
      `Embedded PostgreSQL on 127.0.0.1:${embedded.port} (data in ${config.database.embeddedDir})`,
    );
  }

  // Imported only now: AppModule validates the environment when it is loaded.
  const { AppModule } = await import('./app.module.js');
  const app = configureApp(await NestFactory.create(AppModule, APP_OPTIONS));

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal} received: closing`);
    void app
      .close()
      .then(() => embedded?.stop())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  await app.listen(config.http.port, config.http.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  console.log(`brms-api listening on ${url}`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  }
  process.exit(1);
});
