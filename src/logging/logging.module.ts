import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '../config/app-config.js';
import { loggerParams } from './logger-options.js';

/**
 * Where log lines go; null means stdout. Tests replace it with a stream they read
 * (`overrideProvider(LOG_DESTINATION).useValue(stream)`).
 */
export const LOG_DESTINATION = Symbol('LOG_DESTINATION');

/**
 * nestjs-pino for the whole application: one line per request (request id, status, duration) and
 * every Nest `Logger` call through the same pino instance once main.ts calls `app.useLogger`.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      providers: [{ provide: LOG_DESTINATION, useValue: null }],
      inject: [AppConfig, LOG_DESTINATION],
      useFactory: (config: AppConfig, destination: DestinationStream | null) =>
        loggerParams(config, destination),
    }),
  ],
})
export class LoggingModule {}
