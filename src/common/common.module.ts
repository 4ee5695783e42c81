import { Global, Module, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { Clock, SystemClock } from './clock.js';
import { JsonBodyMiddleware } from './json-body.middleware.js';
import { RequestIdMiddleware } from './request-id.middleware.js';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }],
  exports: [Clock],
})
export class CommonModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RequestIdMiddleware, JsonBodyMiddleware).forRoutes('{*path}');
  }
}
