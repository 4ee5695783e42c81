import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller.js';
import { JobQueueHealthIndicator } from './job-queue.health.js';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [JobQueueHealthIndicator],
})
export class HealthModule {}
