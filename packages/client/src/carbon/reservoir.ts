/**
 * The `carbon.reservoir: 'window'` reservoir (the default is the histogram, histogram.ts).
 *
 * A sliding-window reservoir: the last `size` samples of a timer or histogram, in a ring of doubles.
 * `update()` is a store and an increment; memory is at most `8 × size` bytes per metric (the ring
 * starts at 16 samples and doubles while it fills).
 *
 * Error bound: statistics are exact over the window. While a metric receives at most `size` samples
 * between two reports they are exact for that interval; beyond, they describe the most recent `size`
 * samples (older ones of the interval are not represented). The window is not cleared at a report: an
 * idle metric keeps reporting its last window (as the Metrics library's SlidingWindowReservoir does).
 */

/** What a report reads from a reservoir (one object per reporter, filled by each snapshot). */
export interface Snapshot {
  size: number;
  min: number;
  max: number;
  mean: number;
  stddev: number;
  /** Nearest-rank percentile for each requested quantile, in the order asked. */
  readonly quantiles: Float64Array;
}

/** A timer's or histogram's samples, as the reporter uses them. */
export interface Reservoir {
  update(v: number): void;
  /** Samples represented. */
  readonly size: number;
  /** Fill `out`; false while empty. `quantiles` in (0, 1], ascending. */
  snapshot(quantiles: readonly number[], out: Snapshot): boolean;
  /** The reported interval ended. */
  reset(): void;
}

/** Where windows are sorted for a snapshot: shared (a snapshot is synchronous), grown on demand. */
let sortScratch = new Float64Array(0);

export class SlidingWindowReservoir implements Reservoir {
  /** Grows by doubling up to `#size`, so a rarely used metric holds little memory. */
  #ring: Float64Array;
  readonly #size: number;
  #next = 0;
  #filled = 0;
  /** Samples since the last snapshot: an unchanged window reuses the last snapshot. */
  #dirty = true;
  #snapshot: Snapshot | undefined;

  constructor(size: number) {
    this.#size = size;
    this.#ring = new Float64Array(Math.min(size, 16));
  }

  update(v: number): void {
    let ring = this.#ring;
    if (this.#filled === ring.length && ring.length < this.#size) {
      // still filling: grow (the ring has not wrapped yet, so the samples are in order)
      const bigger = new Float64Array(Math.min(this.#size, ring.length * 2));
      bigger.set(ring);
      this.#ring = ring = bigger;
    }
    ring[this.#next] = v;
    this.#next = this.#next + 1 === this.#size ? 0 : this.#next + 1;
    if (this.#filled < this.#size) this.#filled++;
    this.#dirty = true;
  }

  /** Samples in the window. */
  get size(): number {
    return this.#filled;
  }

  /** Statistics of the window, sorted in a shared scratch array; an unchanged window reuses the last. */
  snapshot(quantiles: readonly number[], out: Snapshot): boolean {
    const n = this.#filled;
    if (n === 0) return false;
    const last = this.#snapshot;
    if (!this.#dirty && last !== undefined) {
      out.size = last.size;
      out.min = last.min;
      out.max = last.max;
      out.mean = last.mean;
      out.stddev = last.stddev;
      out.quantiles.set(last.quantiles);
      return true;
    }
    if (sortScratch.length < n) sortScratch = new Float64Array(this.#size);
    const sorted = sortScratch.subarray(0, n);
    sorted.set(this.#ring.subarray(0, n));
    sorted.sort();
    let sum = 0;
    for (let i = 0; i < n; i++) sum += sorted[i] as number;
    const mean = sum / n;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const d = (sorted[i] as number) - mean;
      sq += d * d;
    }
    const q = new Float64Array(quantiles.length);
    for (let i = 0; i < quantiles.length; i++) {
      const rank = Math.min(n - 1, Math.max(0, Math.ceil((quantiles[i] as number) * n) - 1));
      q[i] = sorted[rank] as number;
    }
    this.#snapshot = {
      size: n,
      min: sorted[0] as number,
      max: sorted[n - 1] as number,
      mean,
      // sample standard deviation (n - 1), as the Metrics library reports it
      stddev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0,
      quantiles: q,
    };
    this.#dirty = false;
    return this.snapshot(quantiles, out);
  }

  /** The window outlives an interval: nothing to do. */
  reset(): void {}
}
