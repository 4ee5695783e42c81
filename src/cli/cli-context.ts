import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { databaseForStart } from '../database/database-for-start.js';
import { CliModule } from './cli.module.js';
import { StderrLogger } from './stderr-logger.js';

/** Progress notes for people: stderr, so stdout stays the command's result alone. */
export function note(message: string): void {
  process.stderr.write(`${message}\n`);
}

/**
 * Runs `work` inside a Nest application context built from CliModule, against the database the
 * server would use: DATABASE_URL, or the embedded PostgreSQL on EMBEDDED_POSTGRES_DIR. When
 * `npm start` already runs that embedded server, its postmaster.pid leads here and it is reused
 * (two servers must never open one data directory); otherwise one is started for the command
 * and stopped after it.
 */
export async function withCliContext<T>(
  work: (context: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const { config, embedded } = await databaseForStart();
  if (embedded) {
    note(
      embedded.owned
        ? `Started the embedded PostgreSQL in ${config.database.embeddedDir} for this command`
        : `Using the embedded PostgreSQL already running on port ${embedded.port}`,
    );
  }

  try {
    const context = await NestFactory.createApplicationContext(CliModule, {
      logger: new StderrLogger(),
      abortOnError: false,
    });
    try {
      return await work(context);
    } finally {
      await context.close();
    }
  } finally {
    await embedded?.stop();
  }
}
