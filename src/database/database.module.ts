import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config.js';
import { dataSourceOptions } from './data-source-options.js';
import { Sql } from './sql.js';

/** TypeORM's DataSource, and `Sql` on its pool for the hand-written hot paths: both global. */
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
  providers: [Sql],
  exports: [Sql],
})
export class DatabaseModule {}
