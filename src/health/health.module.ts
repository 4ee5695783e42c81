import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueModule } from '../queue/queue.module.js';
import { HealthController } from './health.controller.js';
import { JobQueueHealthIndicator } from './job-queue.health.js';

@Module({
  imports: [TerminusModule, QueueModule],
  controllers: [HealthController],
  providers: [JobQueueHealthIndicator],
})
export class HealthModule {}
