import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';

/** TypeORM's DataSource, global: every transaction is its `transaction()`'s EntityManager. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const { url, poolSize, statementTimeoutMs, runMigrations } = config.database;
        if (!url) {
          // main.ts and the test kit start the embedded server and set DATABASE_URL before Nest
          // boots; reaching this means the app was built some other way.
          throw new Error('DATABASE_URL is not set and no embedded PostgreSQL was started');
        }
        return {
          ...dataSourceOptions(url, poolSize, statementTimeoutMs),
          migrationsRun: runMigrations,
        };
      },
    }),
  ],
})
export class DatabaseModule {}
