import type { MailJob, MailQueue } from './mail-queue.js';
import { QueueLoop } from './queue-loop.js';

/** An in-memory stand-in for pg-boss: a list of waiting jobs and what happened to each. */
class FakeQueue {
  waiting: MailJob[] = [];
  completed: string[] = [];
  failed: { id: string; message: string }[] = [];

  add(id: string): void {
    this.waiting.push({
      id,
      name: 'q',
      data: { invitationId: id, generation: 1 },
      retryCount: 0,
      retryLimit: 2,
    } as MailJob);
  }

  fetch(_queue: string, count: number): Promise<MailJob[]> {
    return Promise.resolve(this.waiting.splice(0, count));
  }

  complete(_queue: string, id: string): Promise<void> {
    this.completed.push(id);
    return Promise.resolve();
  }

  fail(_queue: string, id: string, message: string): Promise<void> {
    this.failed.push({ id, message });
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

    await loop.stop(50);
    expect(queue.failed).toEqual([{ id: 'a', message: expect.stringMatching(/released/) }]);

    gate.resolve();
    await until(() => loop.activeJobs === 0);
    expect(queue.completed).toEqual([]);
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
