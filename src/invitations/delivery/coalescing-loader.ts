import DataLoader from 'dataloader';

/**
 * A DataLoader (no cache) whose batches follow the load: the calls of one tick go out together,
 * as with DataLoader's default, and every call made while a batch is in flight waits for it and
 * goes out in the next one. Under load one statement serves many callers; a lone call waits for
 * nothing. Used by the mail worker, whose jobs finish one by one rather than in the same tick.
 */
export function coalescingLoader<K, V>(
  batch: (keys: readonly K[]) => Promise<readonly (V | Error)[]>,
  maxBatchSize = 100,
): DataLoader<K, V> {
  let running: Promise<void> | undefined;
  return new DataLoader<K, V>(
    (keys) => {
      const result = batch(keys);
      const settled = result.then(
        () => undefined,
        () => undefined,
      );
      running = settled;
      void settled.then(() => {
        if (running === settled) running = undefined;
      });
      return result;
    },
    {
      cache: false,
      maxBatchSize,
      batchScheduleFn: (dispatch) => {
        if (running) void running.then(dispatch);
        else process.nextTick(dispatch);
      },
    },
  );
}
