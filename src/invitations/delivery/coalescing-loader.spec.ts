import { coalescingLoader } from './coalescing-loader.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('coalescingLoader', () => {
  it('sends the calls of one tick together, and those made while a batch runs in the next one', async () => {
    const batches: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const loader = coalescingLoader<number, number>(async (keys) => {
      batches.push([...keys]);
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      return keys.map((k) => k * 10);
    });

    const first = [loader.load(1), loader.load(2)];
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2]]);

    // While [1, 2] runs, calls arrive in separate ticks: they wait, then go out as one batch.
    const later: Promise<number>[] = [];
    for (const key of [3, 4, 5]) {
      later.push(loader.load(key));
      await new Promise((r) => setImmediate(r));
    }
    expect(batches).toEqual([[1, 2]]);
    gates[0].resolve();
    await expect(Promise.all(first)).resolves.toEqual([10, 20]);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    gates[1].resolve();
    await expect(Promise.all(later)).resolves.toEqual([30, 40, 50]);
  });

  it('rejects every call of a batch that failed, and the next batch still runs', async () => {
    let fail = true;
    const loader = coalescingLoader<string, string>((keys) =>
      fail ? Promise.reject(new Error('database down')) : Promise.resolve(keys.map((k) => k)),
    );
    await expect(Promise.all([loader.load('a'), loader.load('b')])).rejects.toThrow(
      'database down',
    );
    fail = false;
    await expect(loader.load('c')).resolves.toBe('c');
  });
});
