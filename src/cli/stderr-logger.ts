import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * Nest's console logger writing every level to stderr: a command's stdout carries only its result,
 * so `npm run -s cli -- bootstrap … | jq` works.
 */
export class StderrLogger extends ConsoleLogger {
  constructor(logLevels: LogLevel[] = ['error', 'warn']) {
    super({ logLevels });
  }

  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, unknown>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}
