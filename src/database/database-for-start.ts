import { loadConfig, readEnvironment, type AppConfigValues } from '../config/config.schema.js';
import { devSecretFor } from '../config/dev-secret.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres.js';

/**
 * What the server and the CLI do before Nest builds anything: validate the configuration (a bad
 * value stops the process before a database starts) and, without DATABASE_URL, start the embedded
 * PostgreSQL on EMBEDDED_POSTGRES_DIR or find the one already running there. Its URL is handed on
 * through DATABASE_URL, where AppConfigModule reads the environment when Nest builds the app.
 */
export async function databaseForStart(): Promise<{
  config: AppConfigValues;
  embedded: EmbeddedServer | undefined;
}> {
  const env = readEnvironment();
  const config = loadConfig(env, devSecretFor(env));
  if (config.database.url) return { config, embedded: undefined };
  const embedded = await startEmbeddedPostgres(config.database.embeddedDir);
  process.env.DATABASE_URL = embedded.url;
  return { config, embedded };
}
