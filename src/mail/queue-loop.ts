import type { Logger } from '@nestjs/common';
import type { MailJob, MailQueue } from './mail-queue.js';

export interface QueueLoopOptions {
  queue: string;
  /** Jobs handled at the same time. */
  concurrency: number;
  pollIntervalMs: number;
  handle: (job: MailJob) => Promise<void>;
  logger: Pick<Logger, 'error' | 'warn'>;
}

/**
 * Fetches jobs from one pg-boss queue and runs them, at most `concurrency` at a time.
 *
 * Not pg-boss's `work()`: in pg-boss 10 it completes and fails jobs without awaiting the query, so a
 * database hiccup at that moment is an unhandled rejection that ends the process, and its shutdown
 * cannot tell a job it released from one it finished. Here every completion is awaited and logged,
 * and `stop()` stops fetching, waits for the jobs in flight, and releases (fails, hence retries)
 * those still running when the grace period ends.
 */
export class QueueLoop {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly released = new Set<string>();
  private stopping = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(
    private readonly mailQueue: MailQueue,
    private readonly options: QueueLoopOptions,
  ) {}

  start(): void {
    this.running ??= this.run();
  }

  /** Jobs this process is handling now. */
  get activeJobs(): number {
    return this.inFlight.size;
  }

  /**
   * Stops taking jobs and waits up to `graceMs` for those in flight; any still running then is
   * released to pg-boss (failed: retried after its backoff, by this or another process).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    if (this.inFlight.size === 0) return;

    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      Promise.allSettled(this.inFlight.values()).then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (finished) return;

    for (const id of [...this.inFlight.keys()]) {
      this.released.add(id);
      await this.failQuietly(id, 'released: the worker shut down while handling the job');
    }
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const free = this.options.concurrency - this.inFlight.size;
      if (free > 0) {
        // pg-boss's fetch answers [] when the database cannot be reached: the loop polls on.
        const jobs = await this.mailQueue.fetch(this.options.queue, free).catch((error) => {
          this.options.logger.error(`${this.options.queue}: fetch failed: ${message(error)}`);
          return [];
        });
        for (const job of jobs) this.dispatch(job);
        // A full batch: more may be waiting, so fetch again as soon as a slot frees up.
        if (jobs.length === free) continue;
      }
      if (!this.stopping) await this.sleep(this.options.pollIntervalMs);
    }
  }

  private dispatch(job: MailJob): void {
    const done = this.process(job)
      .catch((error) => {
        this.options.logger.error(`${this.options.queue} job ${job.id}: ${message(error)}`);
      })
      .finally(() => {
        this.inFlight.delete(job.id);
        this.released.delete(job.id);
        this.wake();
      });
    this.inFlight.set(job.id, done);
  }

  private async process(job: MailJob): Promise<void> {
    let failure: unknown;
    try {
      await this.options.handle(job);
    } catch (error) {
      failure = error;
    }
    // Released at shutdown: pg-boss already has it back; its outcome is settled by the next run.
    if (this.released.has(job.id)) return;
    if (failure === undefined) {
      try {
        await this.mailQueue.complete(this.options.queue, job.id);
      } catch (error) {
        // The job stays active until it expires, then runs again and finds its work done.
        this.options.logger.error(
          `${this.options.queue} job ${job.id}: could not complete: ${message(error)}`,
        );
      }
      return;
    }
    const attempt = job.retryCount + 1;
    const attempts = job.retryLimit + 1;
    this.options.logger.warn(
      `${this.options.queue} job ${job.id} failed (attempt ${attempt} of ${attempts}): ${message(failure)}`,
    );
    await this.failQuietly(job.id, message(failure));
  }

  private async failQuietly(id: string, reason: string): Promise<void> {
    try {
      await this.mailQueue.fail(this.options.queue, id, reason);
    } catch (error) {
      // The job stays active until it expires; pg-boss's maintenance then fails it for us.
      this.options.logger.error(
        `${this.options.queue} job ${id}: could not record failure: ${message(error)}`,
      );
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
