import type { Logger } from '@nestjs/common';
import type { MailJob, MailQueue } from './mail-queue.js';

export interface QueueLoopOptions {
  queue: string;
  /** Jobs handled at the same time. */
  concurrency: number;
  pollIntervalMs: number;
  /**
   * At most this many jobs fetched ahead of free slots (default 10 × concurrency): one fetch serves
   * several jobs. pg-boss's fetch sorts every waiting job of the queue, so fetching one job per
   * freed slot made the database the bottleneck of a long queue (the outbox-drain benchmark).
   * How many it really fetches ahead follows how long jobs take: about PREFETCH_BUDGET_MS of work,
   * none until a job has finished, so slow jobs are left for other workers to share.
   */
  prefetch?: number;
  /**
   * How long a job released while it ran (shutdown) waits before it can be fetched again; default
   * 0. The mail worker passes its delivery lease: a retry inside it would find the lease held.
   * Jobs fetched ahead and never started are released at once.
   */
  releaseDelayMs?: number;
  handle: (job: MailJob) => Promise<void>;
  logger: Pick<Logger, 'error' | 'warn'>;
}

/** Fetch ahead about this much work (per slot), judged by how long recent jobs took. */
const PREFETCH_BUDGET_MS = 100;

/** What pg-boss must still be told about a job: the database did not answer then. */
type Outcome =
  | { kind: 'complete' }
  | { kind: 'fail'; reason: string }
  | { kind: 'release'; reason: string; delayMs: number };

/**
 * Fetches jobs from one pg-boss queue and runs them, at most `concurrency` at a time, keeping some
 * more fetched ahead when jobs are quick (`prefetch`) so that one fetch serves several jobs.
 *
 * Not pg-boss's `work()`: in pg-boss 10 it completes and fails jobs without awaiting the query, so a
 * database hiccup at that moment is an unhandled rejection that ends the process, and its shutdown
 * cannot tell a job it released from one it finished. Here every completion is awaited and logged,
 * and `stop()` stops fetching, runs what it fetched, and releases the jobs still running or waiting
 * when the grace period ends: back in the queue, no attempt counted (`MailQueue.release`).
 *
 * A fetched job waits in the buffer at most a few sends' time. Should it wait past pg-boss's expiry
 * (every send timing out), pg-boss retries it elsewhere; the invitation's lease and `sent` status,
 * not the job, decide whether an email leaves, so that costs a retry, not a duplicate.
 *
 * Completions are recorded on the loop's next turn, all those finished by then in one statement
 * (before the next fetch). An outcome the database could not take (it was down) is kept and
 * recorded on the next turns of the loop, once it answers again: otherwise the job would stay
 * `active` until pg-boss's maintenance expires it, minutes after the database is back. A completion
 * lost with the process (a crash) only means pg-boss runs the job again after its expiry; the
 * handler finds the email already sent.
 */
export class QueueLoop {
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Fetched (active in pg-boss) and not started yet: at most `concurrency + prefetch` with inFlight. */
  private readonly ready: MailJob[] = [];
  private graceEndsAt = Infinity;
  /** Recent job duration (exponential moving average), for sizing the prefetch. */
  private jobMs: number | undefined;
  private readonly released = new Set<string>();
  /** Running jobs whose handler has returned (their outcome is being recorded): never released. */
  private readonly handled = new Set<string>();
  /**
   * The retry count each job had when this loop fetched it, until its outcome is recorded: a
   * release touches the job only while it is still this fetch of it (see MailQueue.release).
   */
  private readonly fetchedAs = new Map<string, number>();
  private readonly unrecorded = new Map<string, Outcome>();
  /** Jobs whose outcome could not be recorded and were logged once already. */
  private readonly warned = new Set<string>();
  private stopping = false;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  /** wake() came while the loop was not sleeping: its next sleep returns at once. */
  private woken = false;

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

  /** Finished jobs whose outcome pg-boss has not recorded yet (next turn, or the database is down). */
  get unrecordedJobs(): number {
    return this.unrecorded.size;
  }

  /**
   * Stops fetching; starts the jobs already fetched and waits for them and those in flight, up to
   * `graceMs`. Any still running or not started then is released to pg-boss without counting an
   * attempt (`MailQueue.release`): fetchable again at once if it never started, after
   * `releaseDelayMs` if its handler was still running. A job whose handler has returned is not
   * released: its outcome is recorded as usual, and waited for here.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.graceEndsAt = Date.now() + graceMs;
    this.wake();
    await this.running;
    const left = this.graceEndsAt - Date.now();
    if (this.inFlight.size > 0 && left > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.inFlight.values()),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, left))),
      ]);
      clearTimeout(timer);
    }
    const running = [...this.inFlight.keys()].filter((id) => !this.handled.has(id));
    for (const id of running) this.released.add(id);
    await this.record(running, {
      kind: 'release',
      reason: 'released: the worker shut down while handling the job',
      delayMs: this.options.releaseDelayMs ?? 0,
    });
    const waiting = this.ready.splice(0).map((job) => job.id);
    await this.record(waiting, {
      kind: 'release',
      reason: 'released: the worker shut down before starting the job',
      delayMs: 0,
    });
    // Outcomes of handlers that have returned are being recorded: let them land first.
    await Promise.allSettled(
      [...this.inFlight].filter(([id]) => this.handled.has(id)).map(([, done]) => done),
    );
    // A last try; what still fails is left to pg-boss's expiry.
    await this.recordPending();
  }

  /**
   * Each turn: record finished jobs, start fetched ones in free slots, and refill the local buffer
   * when it runs low (one fetch for several jobs), then sleep until a job finishes or the poll
   * interval ends. While stopping it only starts what it had fetched, until the grace period ends.
   */
  private async run(): Promise<void> {
    const maxPrefetch = this.options.prefetch ?? this.options.concurrency * 10;
    // After a fetch that found fewer jobs than it asked for, the next waits for the poll interval.
    let nextFetchAt = 0;
    for (;;) {
      await this.recordPending();
      if (this.stopping && (this.ready.length === 0 || Date.now() >= this.graceEndsAt)) return;
      this.startReady();
      const prefetch = this.prefetchFor(maxPrefetch);
      const want = this.toFetch(prefetch);
      if (!this.stopping && want > 0 && Date.now() >= nextFetchAt) {
        // pg-boss's fetch answers [] when the database cannot be reached: the loop polls on.
        const jobs = await this.mailQueue.fetch(this.options.queue, want).catch((error) => {
          this.options.logger.error(`${this.options.queue}: fetch failed: ${message(error)}`);
          return [];
        });
        for (const job of jobs) this.fetchedAs.set(job.id, job.retryCount);
        this.ready.push(...jobs);
        this.startReady();
        // A full batch: more may be waiting, so the loop fetches again once the buffer runs low.
        nextFetchAt = jobs.length === want ? 0 : Date.now() + this.options.pollIntervalMs;
        if (jobs.length === want) continue;
      }
      // Until a job finishes (wake), the next fetch is due, or (stopping) the grace period ends.
      const pause = this.stopping
        ? this.graceEndsAt - Date.now()
        : this.toFetch(prefetch) > 0
          ? nextFetchAt - Date.now()
          : this.options.pollIntervalMs;
      await this.sleep(Math.max(0, pause));
    }
  }

  /** How many jobs to fetch now: none until the buffer is half used, then enough to refill it. */
  private toFetch(prefetch: number): number {
    if (this.ready.length > prefetch / 2) return 0;
    return Math.max(
      0,
      prefetch + this.options.concurrency - this.inFlight.size - this.ready.length,
    );
  }

  /** Jobs to hold ahead: about PREFETCH_BUDGET_MS of work per slot at the recent job duration. */
  private prefetchFor(max: number): number {
    if (this.jobMs === undefined) return 0;
    const slotsWorth = Math.floor(PREFETCH_BUDGET_MS / Math.max(this.jobMs, 1));
    return Math.min(max, this.options.concurrency * slotsWorth);
  }

  private startReady(): void {
    while (this.inFlight.size < this.options.concurrency && this.ready.length > 0) {
      this.dispatch(this.ready.shift()!);
    }
  }

  private dispatch(job: MailJob): void {
    const startedAt = performance.now();
    const done = this.process(job)
      .catch((error) => {
        this.options.logger.error(`${this.options.queue} job ${job.id}: ${message(error)}`);
      })
      .finally(() => {
        // A moving average of how long a job takes (failures included: they also hold a slot).
        const ms = performance.now() - startedAt;
        this.jobMs = this.jobMs === undefined ? ms : 0.8 * this.jobMs + 0.2 * ms;
        this.inFlight.delete(job.id);
        this.released.delete(job.id);
        this.handled.delete(job.id);
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
    this.handled.add(job.id);
    // Released at shutdown: pg-boss already has it back; its outcome is settled by the next run.
    if (this.released.has(job.id)) return;
    if (failure === undefined) {
      // Told to pg-boss on the loop's next turn, together with the others finished by then: one
      // statement for all of them, not one per job (the loop wakes when this job's slot frees).
      this.unrecorded.set(job.id, { kind: 'complete' });
      return;
    }
    const attempt = job.retryCount + 1;
    const attempts = job.retryLimit + 1;
    this.options.logger.warn(
      `${this.options.queue} job ${job.id} failed (attempt ${attempt} of ${attempts}): ${message(failure)}`,
    );
    await this.record([job.id], { kind: 'fail', reason: message(failure) });
  }

  /**
   * Tells pg-boss how the jobs ended: completions and releases in one statement each, failures one
   * job at a time (pg-boss takes a failure message per id). When the database does not answer,
   * keeps the jobs not recorded yet for later.
   */
  private async record(ids: string[], outcome: Outcome): Promise<boolean> {
    const recorded = (done: string[]) => {
      for (const id of done) {
        this.unrecorded.delete(id);
        this.warned.delete(id);
        this.fetchedAs.delete(id);
      }
    };
    let left = ids;
    try {
      switch (outcome.kind) {
        case 'complete':
          await this.mailQueue.complete(this.options.queue, ids);
          recorded(ids);
          break;
        case 'release':
          await this.mailQueue.release(
            this.options.queue,
            ids.map((id) => ({ id, retryCount: this.fetchedAs.get(id) ?? 0 })),
            outcome.reason,
            outcome.delayMs,
          );
          recorded(ids);
          break;
        case 'fail':
          for (const id of ids) {
            await this.mailQueue.fail(this.options.queue, id, outcome.reason);
            recorded([id]);
            left = left.filter((other) => other !== id);
          }
          break;
      }
      return true;
    } catch (error) {
      const unwarned = left.filter((id) => !this.warned.has(id));
      if (unwarned.length > 0) {
        const what = { complete: 'completion', fail: 'failure', release: 'release' }[outcome.kind];
        this.options.logger.error(
          `${this.options.queue} job${unwarned.length > 1 ? 's' : ''} ${unwarned.join(', ')}: could not record ${what} (will retry): ${message(error)}`,
        );
      }
      for (const id of left) {
        this.unrecorded.set(id, outcome);
        this.warned.add(id);
      }
      return false;
    }
  }

  /**
   * Records the outcomes not yet told to pg-boss: the completions in one statement, then the
   * failures and releases kept while the database was down, oldest first; stops at the first
   * refusal.
   */
  private async recordPending(): Promise<void> {
    const completed = [...this.unrecorded]
      .filter(([, o]) => o.kind === 'complete')
      .map(([id]) => id);
    if (completed.length > 0 && !(await this.record(completed, { kind: 'complete' }))) return;
    for (const [id, outcome] of [...this.unrecorded]) {
      if (outcome.kind === 'complete') continue; // finished meanwhile: in the next turn's statement
      if (!(await this.record([id], outcome))) return;
    }
  }

  /** Sleeps up to `ms`, or not at all when something woke the loop while it was busy. */
  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
  }

  /** A job finished (a slot and an outcome to record) or stop() was called. */
  private wake(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    if (wakeUp) wakeUp();
    else this.woken = true;
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
