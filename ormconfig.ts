import { DataSource } from 'typeorm';
import { loadConfig, readEnvironment } from './src/config/config.schema.js';
import { dataSourceOptions } from './src/database/data-source-options.js';
import { startEmbeddedPostgres } from './src/database/embedded-postgres.js';

/**
 * The DataSource the TypeORM CLI uses (`npm run migration:*`). With no DATABASE_URL it uses the
 * embedded development database in .data/, reusing it when `npm start` already runs it.
 */
const config = loadConfig(readEnvironment());
const url = config.database.url ?? (await startEmbeddedPostgres(config.database.embeddedDir)).url;

export default new DataSource(dataSourceOptions(url, 2));
