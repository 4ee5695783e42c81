import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { JobQueue } from '../queue/job-queue.js';

/**
 * The job queue is ready when pg-boss answers through its own connection pool and every queue a
 * feature installed exists. Without them, jobs (invitation emails) would be queued but never run.
 */
@Injectable()
export class JobQueueHealthIndicator {
  constructor(
    private readonly queue: JobQueue,
    private readonly health: HealthIndicatorService,
  ) {}

  pingCheck<const Key extends string>(key: Key) {
    return this.health.check(key).attempt(async () => {
      const missing = await this.queue.missingQueues();
      if (missing.length > 0) throw new Error(`queue ${missing.join(', ')} does not exist`);
    });
  }
}
