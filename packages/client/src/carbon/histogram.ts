/**
 * A log-linear bucketed histogram (HDR-style): the default reservoir of the carbon reporter, cleared at
 * the end of every interval.
 *
 * Buckets come straight from a double's bits: the 11 exponent bits and the top {@link SUB_BITS} bits of
 * the mantissa, so each power of two is split into 64 equal sub-buckets. Recording is a store into a
 * scratch double, a shift and an increment — no logarithm. A percentile is the midpoint of the bucket
 * holding the nearest-rank sample, clamped to [min, max]; the bucket's half-width is at most 1/128 of
 * its lower edge, so:
 *
 * **Error bound.** For a nearest-rank sample x with 2^-20 ≤ |x| < 2^44 the reported percentile p
 * satisfies |p − x| ≤ |x| / 128 (0.79 %). Magnitudes below 2^-20 (≈ 9.5e-7) are counted as 0 (absolute
 * error below 2^-20); magnitudes of 2^44 (≈ 1.8e13) and more share one bucket, reported as the exact
 * max (the exact min on the negative side). Negative values (histograms, distributions) have mirrored
 * buckets: same bound. count, min, max, mean and stddev are exact (running sums, shifted by the
 * interval's first sample so the variance keeps its precision).
 *
 * **Memory.** Counts (Uint32) cover only the powers of two a metric's values have reached, plus one of
 * slack: 260 bytes per power of two (0.01 ms … 10 s: ~21 of them, ~5.5 KiB), never more than ~16.5 KiB
 * per sign whatever the values. A report scans per-power-of-two totals and opens only the powers of
 * two a quantile falls in.
 */

import type { Reservoir, Snapshot } from './reservoir.js';

/** Mantissa bits per bucket index: 2^6 = 64 linear sub-buckets per power of two. */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
/** Shift of the high word of a double that leaves exponent + top SUB_BITS mantissa bits. */
const SHIFT = 20 - SUB_BITS;
/** Smallest index with its own bucket: 2^-20. Below: the zero bucket. */
const MIN_KEY = (1023 - 20) << SUB_BITS;
/** Largest index: the bucket of 2^44 and above, reported as the exact max (min when negative). */
const MAX_KEY = (1023 + 44) << SUB_BITS;

const scratch = new Float64Array(1);
const words = new Uint32Array(scratch.buffer);
/** Index of the high (sign + exponent) word of `scratch`. */
const HI = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 1 : 0;

/** `key` → |v| of its bucket's midpoint. */
function midpoint(key: number): number {
  words[HI] = (key << SHIFT) | (1 << (SHIFT - 1));
  words[1 - HI] = 0;
  return scratch[0] as number;
}

/**
 * A snapshot's scan: samples passed, the next quantile and its nearest rank. One, shared by every
 * histogram (a snapshot is synchronous).
 */
class Scan {
  seen = 0;
  j = 0;
  rank = 0;
  n = 0;
  min = 0;
  max = 0;
  qs: readonly number[] = [];
  out: Float64Array = new Float64Array(0);

  start(qs: readonly number[], out: Float64Array, n: number, min: number, max: number): void {
    this.qs = qs;
    this.out = out;
    this.n = n;
    this.min = min;
    this.max = max;
    this.seen = 0;
    this.j = 0;
    this.rank = nearestRank(qs[0] as number, n);
  }

  /** True while a quantile is still to be found. */
  get open(): boolean {
    return this.j < this.qs.length;
  }

  /** Passed `count` samples of bucket value `v`: record every quantile whose rank they reach. */
  pass(count: number, v: number): void {
    this.seen += count;
    const qs = this.qs;
    while (this.j < qs.length && this.seen >= this.rank) {
      // the true percentile lies in [min, max]: clamping only moves a bucket midpoint closer to it
      this.out[this.j++] = v < this.min ? this.min : v > this.max ? this.max : v;
      if (this.j < qs.length) this.rank = nearestRank(qs[this.j] as number, this.n);
    }
  }
}

const SCAN = new Scan();

/**
 * Counts of one sign's buckets, over the range of keys seen (whole powers of two), with a count per
 * power of two so a scan skips the ones no quantile falls in.
 */
class Buckets {
  counts = new Uint32Array(0);
  /** Per power of two: the sum of its SUB counts. */
  octaves = new Uint32Array(0);
  /** Key of counts[0] (a multiple of SUB). */
  base = 0;
  /** Lowest and highest key counted since the last reset (lo > hi: none). */
  lo = MAX_KEY + 1;
  hi = -1;

  add(key: number): void {
    let i = key - this.base;
    if (i < 0 || i >= this.counts.length) i = this.#grow(key);
    this.counts[i] = (this.counts[i] as number) + 1;
    const o = i >> SUB_BITS;
    this.octaves[o] = (this.octaves[o] as number) + 1;
    if (key < this.lo) this.lo = key;
    if (key > this.hi) this.hi = key;
  }

  #grow(key: number): number {
    const old = this.counts;
    const empty = old.length === 0;
    // whole powers of two, plus one more in the direction it grew: a spreading metric grows a few times
    let base = (empty ? key : Math.min(key, this.base)) & ~(SUB - 1);
    let end = ((empty ? key : Math.max(key, this.base + old.length - 1)) | (SUB - 1)) + 1;
    if (!empty && key < this.base) base = Math.max(MIN_KEY, base - SUB);
    else if (!empty) end = Math.min(MAX_KEY + SUB, end + SUB);
    const counts = new Uint32Array(end - base);
    const octaves = new Uint32Array((end - base) >> SUB_BITS);
    if (!empty) {
      counts.set(old, this.base - base);
      octaves.set(this.octaves, (this.base - base) >> SUB_BITS);
    }
    this.counts = counts;
    this.octaves = octaves;
    this.base = base;
    return key - base;
  }

  /**
   * Advance `scan` through these buckets, ascending (`sign` 1) or, for the negative side, from the
   * largest magnitude down (`sign` -1).
   */
  scan(scan: Scan, sign: 1 | -1): void {
    if (this.hi < this.lo) return;
    const counts = this.counts;
    const octaves = this.octaves;
    const first = (this.lo - this.base) >> SUB_BITS;
    const last = (this.hi - this.base) >> SUB_BITS;
    for (let n = 0; n <= last - first && scan.open; n++) {
      const o = sign === 1 ? first + n : last - n;
      const c = octaves[o] as number;
      if (scan.seen + c < scan.rank) {
        scan.seen += c;
        continue;
      }
      const from = o << SUB_BITS;
      for (let k = 0; k < SUB; k++) {
        const i = sign === 1 ? from + k : from + SUB - 1 - k;
        const ci = counts[i] as number;
        if (ci === 0) continue;
        const key = this.base + i;
        scan.pass(ci, key === MAX_KEY ? (sign === 1 ? scan.max : scan.min) : sign * midpoint(key));
        if (!scan.open) return;
      }
    }
  }

  reset(): void {
    if (this.hi < this.lo) return;
    const first = (this.lo - this.base) >> SUB_BITS;
    const last = (this.hi - this.base) >> SUB_BITS;
    this.counts.fill(0, first << SUB_BITS, (last + 1) << SUB_BITS);
    this.octaves.fill(0, first, last + 1);
    this.lo = MAX_KEY + 1;
    this.hi = -1;
  }
}

export class HistogramReservoir implements Reservoir {
  readonly #pos = new Buckets();
  #neg: Buckets | undefined;
  #zero = 0;
  #n = 0;
  /** First sample of the interval: sums are of (v - shift), which keeps the variance accurate. */
  #shift = 0;
  #sum = 0;
  #sumSq = 0;
  #min = 0;
  #max = 0;
  /** The interval ended: the bucket counts are cleared at the next sample, not in the report. */
  #stale = false;

  update(v: number): void {
    if (this.#n++ === 0) {
      if (this.#stale) this.#clear();
      this.#shift = v;
      this.#min = v;
      this.#max = v;
    } else if (v < this.#min) this.#min = v;
    else if (v > this.#max) this.#max = v;
    const d = v - this.#shift;
    this.#sum += d;
    this.#sumSq += d * d;
    scratch[0] = v;
    const hi = words[HI] as number;
    let key = (hi & 0x7fffffff) >>> SHIFT;
    if (key < MIN_KEY) {
      this.#zero++;
      return;
    }
    if (key > MAX_KEY) key = MAX_KEY;
    if (hi >>> 31 === 0) this.#pos.add(key);
    else {
      this.#neg ??= new Buckets();
      this.#neg.add(key);
    }
  }

  get size(): number {
    return this.#n;
  }

  /** Bytes of bucket counts held (for tests and docs; excludes the object itself). */
  get bytes(): number {
    const neg = this.#neg;
    return (
      this.#pos.counts.byteLength +
      this.#pos.octaves.byteLength +
      (neg === undefined ? 0 : neg.counts.byteLength + neg.octaves.byteLength)
    );
  }

  /** Fill `out` with this interval's statistics; false while empty. `quantiles` ascending. */
  snapshot(quantiles: readonly number[], out: Snapshot): boolean {
    const n = this.#n;
    if (n === 0) return false;
    const mean = this.#sum / n;
    out.size = n;
    out.min = this.#min;
    out.max = this.#max;
    out.mean = this.#shift + mean;
    out.stddev = n > 1 ? Math.sqrt(Math.max(0, (this.#sumSq - this.#sum * mean) / (n - 1))) : 0;
    const scan = SCAN;
    scan.start(quantiles, out.quantiles, n, this.#min, this.#max);
    // most negative first, then the zeros, then the positive values
    this.#neg?.scan(scan, -1);
    scan.pass(this.#zero, 0);
    this.#pos.scan(scan, 1);
    return true;
  }

  /**
   * Start a new interval: the statistics are empty at once; the bucket counts are zeroed at the first
   * sample of the new interval (a report of many timers does not pay for it, an idle one never does).
   */
  reset(): void {
    if (this.#n === 0) return;
    this.#n = 0;
    this.#sum = 0;
    this.#sumSq = 0;
    this.#stale = true;
  }

  #clear(): void {
    this.#pos.reset();
    this.#neg?.reset();
    this.#zero = 0;
    this.#stale = false;
  }
}

/** 1-based nearest rank of quantile `q` among `n` samples. */
function nearestRank(q: number, n: number): number {
  const r = Math.ceil(q * n);
  return r < 1 ? 1 : r > n ? n : r;
}
