import { Global, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Clock, SystemClock } from './clock.js';
import { RequestLogMiddleware } from '../logging/request-log.middleware.js';
import { JsonBodyMiddleware } from './json-body.middleware.js';
import { RequestIdMiddleware } from './request-id.middleware.js';
import { ShutdownState } from './shutdown-state.js';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, ShutdownState],
  exports: [Clock, ShutdownState],
})
export class CommonModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // In this order: the request line carries the id, and a body the parser refuses is logged.
    consumer
      .apply(RequestIdMiddleware, RequestLogMiddleware, JsonBodyMiddleware)
      .forRoutes('{*path}');
  }
}
