/**
 * A sliding-window reservoir: the last `size` samples of a timer or histogram, in a ring of doubles.
 * `update()` is a store and an increment; memory is at most `8 × size` bytes per metric (the ring
 * starts at 16 samples and doubles while it fills).
 *
 * Error bound: statistics are exact over the window. While a metric receives at most `size` samples
 * between two reports they are exact for that interval; beyond, they describe the most recent `size`
 * samples (older ones of the interval are not represented). The window is not cleared at a report: an
 * idle metric keeps reporting its last window (as the Metrics library's SlidingWindowReservoir does).
 */

/** What a report reads from a reservoir. */
export interface Snapshot {
  readonly size: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  /** Nearest-rank percentile for each requested quantile, in the order asked. */
  readonly quantiles: Float64Array;
}

export class SlidingWindowReservoir {
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

  /**
   * Statistics of the window; `quantiles` in (0, 1]. Undefined while empty. `scratch` (at least `size`
   * long, shared by every reservoir of a reporter) is where the samples are sorted: no allocation.
   */
  snapshot(quantiles: readonly number[], scratch: Float64Array): Snapshot | undefined {
    const n = this.#filled;
    if (n === 0) return undefined;
    if (!this.#dirty && this.#snapshot !== undefined) return this.#snapshot;
    const sorted = scratch.subarray(0, n);
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
    return this.#snapshot;
  }
}
