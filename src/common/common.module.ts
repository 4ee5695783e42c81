import { Global, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Clock, SystemClock } from './clock.js';
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
    consumer.apply(RequestIdMiddleware, JsonBodyMiddleware).forRoutes('{*path}');
  }
}
