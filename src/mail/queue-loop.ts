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

/** What pg-boss must still be told about a finished job: the database did not answer then. */
type Outcome = { complete: true } | { complete: false; reason: string };

/**
 * Fetches jobs from one pg-boss queue and runs them, at most `concurrency` at a time.
 *
 * Not pg-boss's `work()`: in pg-boss 10 it completes and fails jobs without awaiting the query, so a
 * database hiccup at that moment is an unhandled rejection that ends the process, and its shutdown
 * cannot tell a job it released from one it finished. Here every completion is awaited and logged,
 * and `stop()` stops fetching, waits for the jobs in flight, and releases (fails, hence retries)
 * those still running when the grace period ends.
 *
 * An outcome the database could not take (it was down) is kept and recorded on the next turns of
 * the loop, once it answers again: otherwise the job would stay `active` until pg-boss's
 * maintenance expires it, minutes after the database is back.
 */
export class QueueLoop {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly released = new Set<string>();
  private readonly unrecorded = new Map<string, Outcome>();
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

  /** Finished jobs whose outcome pg-boss has not recorded yet (the database did not answer). */
  get unrecordedJobs(): number {
    return this.unrecorded.size;
  }

  /**
   * Stops taking jobs and waits up to `graceMs` for those in flight; any still running then is
   * released to pg-boss (failed: retried after its backoff, by this or another process).
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.running;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const finished = await Promise.race([
        Promise.allSettled(this.inFlight.values()).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!finished) {
        for (const id of [...this.inFlight.keys()]) {
          this.released.add(id);
          await this.record(id, {
            complete: false,
            reason: 'released: the worker shut down while handling the job',
          });
        }
      }
    }
    // A last try; what still fails is left to pg-boss's expiry.
    await this.recordPending();
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      await this.recordPending();
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
      await this.record(job.id, { complete: true });
      return;
    }
    const attempt = job.retryCount + 1;
    const attempts = job.retryLimit + 1;
    this.options.logger.warn(
      `${this.options.queue} job ${job.id} failed (attempt ${attempt} of ${attempts}): ${message(failure)}`,
    );
    await this.record(job.id, { complete: false, reason: message(failure) });
  }

  /** Tells pg-boss how the job ended; when the database does not answer, keeps it for later. */
  private async record(id: string, outcome: Outcome): Promise<boolean> {
    try {
      if (outcome.complete) await this.mailQueue.complete(this.options.queue, id);
      else await this.mailQueue.fail(this.options.queue, id, outcome.reason);
      this.unrecorded.delete(id);
      return true;
    } catch (error) {
      if (!this.unrecorded.has(id)) {
        this.options.logger.error(
          `${this.options.queue} job ${id}: could not record ${outcome.complete ? 'completion' : 'failure'} (will retry): ${message(error)}`,
        );
      }
      this.unrecorded.set(id, outcome);
      return false;
    }
  }

  /** Records the outcomes kept while the database was down, oldest first; stops at the first refusal. */
  private async recordPending(): Promise<void> {
    for (const [id, outcome] of [...this.unrecorded]) {
      if (!(await this.record(id, outcome))) return;
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
