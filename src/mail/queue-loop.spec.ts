import type { MailJob, MailQueue } from './mail-queue.js';
import { QueueLoop } from './queue-loop.js';

/** An in-memory stand-in for pg-boss: a list of waiting jobs and what happened to each. */
class FakeQueue {
  waiting: MailJob[] = [];
  completed: string[] = [];
  /** The ids of each complete() call. */
  completeCalls: string[][] = [];
  failed: { id: string; message: string }[] = [];

  add(id: string, retryCount = 0): void {
    this.waiting.push({
      id,
      name: 'q',
      data: { invitationId: id, generation: 1 },
      retryCount,
      retryLimit: 2,
    } as MailJob);
  }

  /** What each fetch() call asked for and got. */
  fetchCalls: { asked: number; got: number }[] = [];

  fetch(_queue: string, count: number): Promise<MailJob[]> {
    const jobs = this.waiting.splice(0, count);
    this.fetchCalls.push({ asked: count, got: jobs.length });
    return Promise.resolve(jobs);
  }

  complete(_queue: string, ids: string[]): Promise<void> {
    this.completeCalls.push(ids);
    this.completed.push(...ids);
    return Promise.resolve();
  }

  fail(_queue: string, id: string, message: string): Promise<void> {
    this.failed.push({ id, message });
    return Promise.resolve();
  }

  released: { id: string; retryCount: number; message: string; delayMs: number }[] = [];

  release(
    _queue: string,
    jobs: { id: string; retryCount: number }[],
    message: string,
    delayMs: number,
  ): Promise<void> {
    for (const job of jobs) this.released.push({ ...job, message, delayMs });
    return Promise.resolve();
  }
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const logger = { error: () => undefined, warn: () => undefined };

describe('QueueLoop', () => {
  it('runs at most `concurrency` jobs at a time, completing successes and failing errors', async () => {
    const queue = new FakeQueue();
    for (const id of ['a', 'b', 'c', 'd', 'e']) queue.add(id);
    const gates = new Map<string, ReturnType<typeof deferred>>();
    let running = 0;
    let peak = 0;
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 2,
      pollIntervalMs: 10_000,
      logger,
      handle: async (job) => {
        running++;
        peak = Math.max(peak, running);
        const gate = deferred();
        gates.set(job.id, gate);
        await gate.promise;
        running--;
        if (job.id === 'c') throw new Error('smtp down');
      },
    });
    loop.start();

    await until(() => gates.size === 2);
    expect(loop.activeJobs).toBe(2);
    // Finishing one job frees a slot: the next is fetched at once, not after the poll interval.
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      await until(() => gates.has(id));
      gates.get(id)!.resolve();
    }
    await until(() => queue.completed.length + queue.failed.length === 5);
    await loop.stop(1000);

    expect(peak).toBe(2);
    expect(queue.completed.sort()).toEqual(['a', 'b', 'd', 'e']);
    expect(queue.failed).toEqual([{ id: 'c', message: 'smtp down' }]);
  });

  it('on stop, takes no new job and lets the one in flight finish', async () => {
    const queue = new FakeQueue();
    queue.add('a');
    const gate = deferred();
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 1,
      pollIntervalMs: 10,
      logger,
      handle: () => gate.promise,
    });
    loop.start();
    await until(() => loop.activeJobs === 1);

    const stopped = loop.stop(5000);
    queue.add('b');
    setTimeout(() => gate.resolve(), 50);
    await stopped;

    expect(queue.completed).toEqual(['a']);
    expect(queue.waiting.map((j) => j.id)).toEqual(['b']);
  });

  it('releases a job still running when the grace period ends, and does not complete it later', async () => {
    const queue = new FakeQueue();
    queue.add('a', 2); // its third attempt
    const gate = deferred();
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 1,
      pollIntervalMs: 10,
      logger,
      handle: () => gate.promise,
    });
    loop.start();
    await until(() => loop.activeJobs === 1);

    await loop.stop(50);
    // Released, not failed: a failure would count an attempt (and dead-letter a last one).
    expect(queue.released).toEqual([
      { id: 'a', retryCount: 2, message: expect.stringMatching(/released/), delayMs: 0 },
    ]);
    expect(queue.failed).toEqual([]);

    gate.resolve();
    await until(() => loop.activeJobs === 0);
    expect(queue.completed).toEqual([]);
  });

  it('does not release a job whose handler has returned: its failure is recorded, and waited for', async () => {
    const queue = new FakeQueue();
    queue.add('a');
    const recording = deferred();
    queue.fail = (_queue: string, id: string, message: string) => {
      queue.failed.push({ id, message });
      return recording.promise; // the database is slow to take it
    };
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 1,
      pollIntervalMs: 10,
      logger,
      handle: () => Promise.reject(new Error('SMTP refused')),
    });
    loop.start();
    await until(() => queue.failed.length === 1);

    // The grace period ends while the failure is still being recorded.
    const stopped = loop.stop(20);
    setTimeout(() => recording.resolve(), 100);
    await stopped;
    // Released too, the job would be back without this attempt counted (or, released first, the
    // failure would land on the released row): a real failure must count.
    expect(queue.released).toEqual([]);
    expect(queue.failed.map((f) => f.id)).toEqual(['a']);
    expect(loop.activeJobs).toBe(0);
  });

  it('completes the jobs that finished meanwhile in one call, not one call per job', async () => {
    const queue = new FakeQueue();
    for (const id of ['a', 'b', 'c']) queue.add(id);
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const firstCompletion = deferred();
    const complete = queue.complete.bind(queue);
    queue.complete = async (name, ids) => {
      if (queue.completeCalls.length === 0) await firstCompletion.promise;
      return complete(name, ids);
    };
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 3,
      pollIntervalMs: 10_000,
      logger,
      handle: async (job) => {
        const gate = deferred();
        gates.set(job.id, gate);
        await gate.promise;
      },
    });
    loop.start();
    await until(() => gates.size === 3);

    gates.get('a')!.resolve();
    await until(() => loop.activeJobs === 2);
    // 'a' is being recorded (held); 'b' and 'c' finish meanwhile.
    gates.get('b')!.resolve();
    gates.get('c')!.resolve();
    await until(() => loop.activeJobs === 0);
    expect(loop.unrecordedJobs).toBe(3);
    firstCompletion.resolve();
    await until(() => loop.unrecordedJobs === 0);
    await loop.stop(1000);
    expect(queue.completeCalls).toEqual([['a'], ['b', 'c']]);
  });

  it('fetches ahead of free slots: one fetch serves several jobs, never more than `concurrency` run', async () => {
    const queue = new FakeQueue();
    const ids = Array.from({ length: 20 }, (_, i) => `job-${i}`);
    for (const id of ids) queue.add(id);
    let running = 0;
    let peak = 0;
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 2,
      prefetch: 6,
      pollIntervalMs: 10_000,
      logger,
      handle: async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 2));
        running--;
      },
    });
    loop.start();
    await until(() => queue.completed.length === 20);
    await loop.stop(1000);

    expect(peak).toBe(2);
    expect([...queue.completed].sort()).toEqual([...ids].sort());
    // The first fetch asks for the free slots only (how long jobs take is not known yet); once
    // jobs prove quick, refills ask for the slots plus the buffer when half of it is used, and
    // after a fetch came back short the next waits for the poll interval (10 s here).
    expect(queue.fetchCalls[0]).toEqual({ asked: 2, got: 2 });
    expect(Math.max(...queue.fetchCalls.map((call) => call.asked))).toBeGreaterThanOrEqual(6);
    expect(queue.fetchCalls.length).toBeLessThanOrEqual(7);
  });

  it('on stop, runs the jobs it had fetched within the grace period and releases the rest', async () => {
    const queue = new FakeQueue();
    queue.add('quick'); // shows that jobs are quick: the loop then fetches ahead
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 1,
      prefetch: 3,
      releaseDelayMs: 60_000,
      pollIntervalMs: 20,
      logger,
      handle: async (job) => {
        if (job.id === 'quick') return;
        const gate = deferred();
        gates.set(job.id, gate);
        await gate.promise;
      },
    });
    loop.start();
    await until(() => queue.completed.includes('quick'));
    for (const id of ['a', 'b', 'c', 'd']) queue.add(id);
    await until(() => gates.has('a'));
    expect(queue.waiting).toEqual([]); // 'b', 'c', 'd' are in the buffer

    const stopped = loop.stop(300);
    gates.get('a')!.resolve();
    await until(() => gates.has('b'));
    gates.get('b')!.resolve();
    await until(() => gates.has('c'));
    // 'c' never finishes: at the end of the grace period it and the unstarted 'd' are released.
    await stopped;

    expect(queue.completed).toEqual(['quick', 'a', 'b']);
    // 'c' ran: it waits out `releaseDelayMs`; 'd' never started: fetchable again at once.
    expect(queue.released.map(({ id, delayMs }) => ({ id, delayMs }))).toEqual([
      { id: 'c', delayMs: 60_000 },
      { id: 'd', delayMs: 0 },
    ]);
    expect(queue.failed).toEqual([]);
    expect(gates.has('d')).toBe(false);
  });

  it('does not fetch ahead while jobs are slow, leaving them to other workers', async () => {
    const queue = new FakeQueue();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) queue.add(id);
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 2,
      prefetch: 6,
      pollIntervalMs: 10,
      logger,
      handle: () => new Promise((r) => setTimeout(r, 150)), // longer than the prefetch budget
    });
    loop.start();
    await until(() => queue.completed.length === 6, 5000);
    await loop.stop(1000);
    // Never more than the free slots: the jobs still waiting stay in the queue for others.
    expect(Math.max(...queue.fetchCalls.map((call) => call.asked))).toBe(2);
  });

  it('records an outcome the database refused once it answers again, without running the job again', async () => {
    const queue = new FakeQueue();
    queue.add('sent');
    queue.add('broken');
    let databaseUp = false;
    const refuseWhileDown =
      <A extends unknown[]>(record: (...args: A) => Promise<void>) =>
      (...args: A) =>
        databaseUp ? record(...args) : Promise.reject(new Error('connect ECONNREFUSED'));
    queue.complete = refuseWhileDown(queue.complete.bind(queue));
    queue.fail = refuseWhileDown(queue.fail.bind(queue));
    let runs = 0;
    const loop = new QueueLoop(queue as unknown as MailQueue, {
      queue: 'q',
      concurrency: 2,
      pollIntervalMs: 10,
      logger,
      handle: (job) => {
        runs++;
        return job.id === 'broken' ? Promise.reject(new Error('smtp down')) : Promise.resolve();
      },
    });
    loop.start();
    await until(() => runs === 2 && loop.activeJobs === 0);
    expect(loop.unrecordedJobs).toBe(2);
    expect(queue.completed).toEqual([]);

    databaseUp = true;
    await until(() => loop.unrecordedJobs === 0);
    await loop.stop(1000);
    expect(queue.completed).toEqual(['sent']);
    expect(queue.failed).toEqual([{ id: 'broken', message: 'smtp down' }]);
    expect(runs).toBe(2);
  });
});
