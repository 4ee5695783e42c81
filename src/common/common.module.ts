import {
  Global,
  Module,
  RequestMethod,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { Clock, SystemClock } from './clock.js';
import { JsonBodyMiddleware } from './json-body.middleware.js';
import { ShutdownState } from './shutdown-state.js';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, ShutdownState],
  exports: [Clock, ShutdownState],
})
export class CommonModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // After nestjs-pino's request logger (LoggingModule is imported first): a body the parser
    // refuses is logged, with the request's id.
    consumer
      .apply(JsonBodyMiddleware)
      // The invitation accept page posts an HTML form; AcceptPageModule parses that one route.
      .exclude({ path: 'invitations/accept', method: RequestMethod.POST })
      .forRoutes('{*path}');
  }
}
