import { combine, median, percentile, type LoadResult } from './load.js';

describe('bench load statistics', () => {
  it('takes the middle of the values, and the nearest-rank percentile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 99)).toBe(40);
  });

  it('adds slices up: requests over the time of all slices, percentiles over all their latencies', () => {
    const slice = (latencies: number[], seconds: number) =>
      ({ latencies, seconds, requests: latencies.length }) as LoadResult;
    const result = combine([
      slice([10, 20, 30, 40], 2),
      slice([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 3),
    ]);
    expect(result.requests).toBe(14);
    expect(result.seconds).toBe(5);
    expect(result.rps).toBe(2.8);
    expect(result.p50).toBe(7); // the 7th of the 14, sorted together
    expect(result.p99).toBe(100);
  });
});
