import { Module } from '@nestjs/common';
import { JobQueue } from './job-queue.js';

/** The job queue (pg-boss): knows no feature; features declare their queues and handlers. */
@Module({ providers: [JobQueue], exports: [JobQueue] })
export class QueueModule {}
