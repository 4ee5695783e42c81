import { Global, Module } from '@nestjs/common';
import { Clock, SystemClock } from './clock.js';
import { ShutdownState } from './shutdown-state.js';

@Global()
@Module({
  providers: [{ provide: Clock, useClass: SystemClock }, ShutdownState],
  exports: [Clock, ShutdownState],
})
export class CommonModule {}
