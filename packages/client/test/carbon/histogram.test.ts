/**
 * The carbon reporter's default reservoir: percentiles within 1/128 of the exact nearest-rank sample,
 * exact count/min/max/mean/stddev, bounded memory, cleared per interval.
 */
import { describe, expect, it } from 'vitest';
import { HistogramReservoir } from '../../src/carbon/histogram.js';
import type { Snapshot } from '../../src/carbon/reservoir.js';

const QS = [0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.999, 1];

/** A seeded generator (mulberry32): the same samples at every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function snapshotOf(h: HistogramReservoir, qs: readonly number[] = QS): Snapshot {
  const out: Snapshot = {
    size: 0,
    min: 0,
    max: 0,
    mean: 0,
    stddev: 0,
    quantiles: new Float64Array(qs.length),
  };
  expect(h.snapshot(qs, out)).toBe(true);
  return out;
}

/** Exact nearest-rank percentiles, mean and sample stddev of `xs`. */
function exact(xs: readonly number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sq = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return {
    q: QS.map((q) => s[Math.min(n, Math.max(1, Math.ceil(q * n))) - 1] as number),
    min: s[0] as number,
    max: s[n - 1] as number,
    mean,
    stddev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
  };
}

/** Feed `xs`, then check the documented bound on every quantile and the exact statistics. */
function check(xs: readonly number[]): void {
  const h = new HistogramReservoir();
  for (const x of xs) h.update(x);
  const got = snapshotOf(h);
  const want = exact(xs);
  expect(got.size).toBe(xs.length);
  expect(got.min).toBe(want.min);
  expect(got.max).toBe(want.max);
  expect(got.mean).toBeCloseTo(want.mean, 9);
  expect(Math.abs(got.stddev - want.stddev)).toBeLessThanOrEqual(1e-9 * Math.max(1, want.stddev));
  for (let i = 0; i < QS.length; i++) {
    const x = want.q[i] as number;
    const p = got.quantiles[i] as number;
    // |p - x| <= |x| / 128 for 2^-20 <= |x| < 2^44; a magnitude below 2^-20 is reported as 0
    const bound = Math.abs(x) < 2 ** -20 ? 2 ** -20 : Math.abs(x) / 128;
    if (!(Math.abs(p - x) <= bound)) expect.fail(`q=${QS[i]}: got ${p}, exact ${x}, bound ${bound}`);
  }
}

describe('histogram reservoir', () => {
  const rnd = random(13);
  const n = 20_000;

  it('uniform: percentiles within 1/128 of the exact nearest-rank value', () => {
    check(Array.from({ length: n }, () => rnd() * 250));
  });

  it('exponential', () => {
    check(Array.from({ length: n }, () => -Math.log(1 - rnd()) * 40));
  });

  it('bimodal (cache hits and misses)', () => {
    check(Array.from({ length: n }, () => (rnd() < 0.9 ? 0.2 + rnd() * 0.3 : 120 + rnd() * 80)));
  });

  it('values spanning 1e-3 … 1e6 (log-uniform), and integers', () => {
    check(Array.from({ length: n }, () => 10 ** (rnd() * 9 - 3)));
    check(Array.from({ length: 1000 }, (_, i) => i + 1));
  });

  it('zeros, tiny values and a single sample', () => {
    check(Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1e-9 : i)));
    check([0, 0, 0]);
    check([42.42]);
  });

  it('negative values (histograms, distributions) have mirrored buckets: same bound', () => {
    check(Array.from({ length: n }, () => (rnd() - 0.5) * 2000));
    check(Array.from({ length: n }, () => -(10 ** (rnd() * 6 - 2))));
    check([-5, -5, 0, 5, 5]);
  });

  it('2^44 and beyond: one bucket, reported as the exact max (min when negative)', () => {
    const h = new HistogramReservoir();
    for (const x of [1, 2, 2 ** 50, 2 ** 60]) h.update(x);
    const s = snapshotOf(h, [0.5, 1]);
    expect(Math.abs((s.quantiles[0] as number) - 2)).toBeLessThanOrEqual(2 / 128);
    expect(s.quantiles[1]).toBe(2 ** 60);
    const neg = new HistogramReservoir();
    for (const x of [-1, -(2 ** 50), -(2 ** 60)]) neg.update(x);
    expect(snapshotOf(neg, [0.01]).quantiles[0]).toBe(-(2 ** 60));
  });

  it('mean and stddev stay accurate around a large offset', () => {
    const xs = Array.from({ length: n }, () => 1e9 + rnd());
    const h = new HistogramReservoir();
    for (const x of xs) h.update(x);
    const s = snapshotOf(h);
    // x - 1e9 is exact (Sterbenz): the reference statistics of the small differences are accurate
    const want = exact(xs.map((x) => x - 1e9));
    expect(s.mean - 1e9).toBeCloseTo(want.mean, 7);
    expect(s.stddev).toBeCloseTo(want.stddev, 7);
  });

  it('reset() starts a new interval: only the new samples count', () => {
    const h = new HistogramReservoir();
    for (let i = 0; i < 1000; i++) h.update(1000 + i);
    h.reset();
    const out: Snapshot = { size: 0, min: 0, max: 0, mean: 0, stddev: 0, quantiles: new Float64Array(1) };
    expect(h.snapshot([0.5], out)).toBe(false);
    for (let i = 0; i < 10; i++) h.update(3);
    const s = snapshotOf(h, [0.5, 1]);
    expect([s.size, s.min, s.max, s.mean, s.stddev]).toEqual([10, 3, 3, 3, 0]);
    expect([...s.quantiles]).toEqual([3, 3]);
  });

  it('memory is bounded whatever the values: about 16.5 KiB of counts per sign', () => {
    const h = new HistogramReservoir();
    const rnd2 = random(7);
    for (let i = 0; i < 100_000; i++) {
      const m = 10 ** (rnd2() * 600 - 300); // 1e-300 … 1e300
      h.update(rnd2() < 0.5 ? m : -m);
    }
    expect(h.bytes).toBeLessThanOrEqual(2 * 17 * 1024);
    // a typical timer (0.01 ms … 10 s) holds far less
    const t = new HistogramReservoir();
    for (let i = 0; i < 100_000; i++) t.update(10 ** (rnd2() * 6 - 2));
    expect(t.bytes).toBeLessThanOrEqual(6 * 1024);
  });
});
