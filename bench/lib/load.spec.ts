import { SlicedLoad, median, pairedRatios, percentile, type LoadResult } from './load.js';

const phase = (side: 'service' | 'baseline', round: number, rps: number, p99: number) => ({
  side,
  round,
  load: { rps, p99 },
});

describe('bench load statistics', () => {
  it('divides the two sides within each round, in round order, whatever order they ran in', () => {
    const ratios = pairedRatios(
      [
        phase('service', 2, 300, 60),
        phase('baseline', 2, 400, 50),
        phase('baseline', 1, 400, 40),
        phase('service', 1, 360, 48),
      ],
      'service',
      'baseline',
    );
    expect(ratios).toEqual([
      { round: 1, rps: 0.9, p99: 1.2 },
      { round: 2, rps: 0.75, p99: 1.2 },
    ]);
  });

  it('leaves out a round in which one side did not run', () => {
    const ratios = pairedRatios(
      [phase('baseline', 1, 400, 40), phase('service', 1, 200, 80), phase('service', 2, 300, 60)],
      'service',
      'baseline',
    );
    expect(ratios).toEqual([{ round: 1, rps: 0.5, p99: 2 }]);
  });

  it('takes the middle of the values, and the nearest-rank percentile', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([10, 20, 30, 40], 50)).toBe(20);
    expect(percentile([10, 20, 30, 40], 99)).toBe(40);
  });

  it('adds slices up: requests over the time of all slices, percentiles over all their latencies', () => {
    const slice = (latencies: number[], seconds: number) => ({
      latencies,
      result: { requests: latencies.length, seconds } as LoadResult,
    });
    const load = new SlicedLoad();
    load.add(slice([10, 20, 30, 40], 2));
    load.add(slice([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], 3));
    const result = load.result();
    expect(result.requests).toBe(14);
    expect(result.seconds).toBe(5);
    expect(result.rps).toBe(2.8);
    expect(result.p50).toBe(7); // the 7th of the 14, sorted together
    expect(result.p99).toBe(100);
  });
});
