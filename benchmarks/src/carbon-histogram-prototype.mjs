/**
 * Prototype (not in the client): what a report of 10 000 full timers would cost with a log-bucketed
 * histogram (relative error 1 %, DDSketch-style) instead of the sliding window the reporter uses, whose
 * report must sort every window (10 000 × 1028 samples). Same samples, same statistics
 * (count, min, max, mean, p50 p75 p95 p98 p99 p999).
 *
 *   node src/carbon-histogram-prototype.mjs
 */
const ALPHA = 0.01;
const GAMMA = (1 + ALPHA) / (1 - ALPHA);
const LOG_GAMMA = Math.log(GAMMA);
/** Bucket 0 holds values below MIN (≈ 1 µs); others: ceil(log_γ(v / MIN)). */
const MIN = 1e-3;
const BUCKETS = 2048; // MIN × γ^2048 ≈ 4e14 ms

class LogHistogram {
  counts = new Uint32Array(BUCKETS);
  lo = BUCKETS;
  hi = -1;
  n = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  update(v) {
    const b = v <= MIN ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(v / MIN) / LOG_GAMMA));
    this.counts[b]++;
    if (b < this.lo) this.lo = b;
    if (b > this.hi) this.hi = b;
    this.n++;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }
  /** Quantiles (ascending) in one pass over the used buckets; each within ALPHA of a true sample. */
  quantiles(qs, out) {
    let seen = 0;
    let j = 0;
    const ranks = qs.map((q) => Math.max(1, Math.ceil(q * this.n)));
    for (let b = this.lo; b <= this.hi && j < qs.length; b++) {
      seen += this.counts[b];
      while (j < qs.length && seen >= ranks[j]) {
        out[j++] = b === 0 ? MIN : (2 * MIN * GAMMA ** b) / (GAMMA + 1);
      }
    }
    return out;
  }
}

const QS = [0.5, 0.75, 0.95, 0.98, 0.99, 0.999];
const ms = Array.from({ length: 1024 }, (_, k) => Math.round(((k * 7919) % 250_000) / 1.7) / 1000);
const hs = [];
let t = performance.now();
for (let i = 0; i < 10_000; i++) {
  const h = new LogHistogram();
  for (let s = 0; s < 1028; s++) h.update(ms[(i + s) & 1023]);
  hs.push(h);
}
const perUpdate = ((performance.now() - t) * 1e6) / (10_000 * 1028);
const out = new Float64Array(QS.length);
let worst = 0;
for (let rep = 0; rep < 3; rep++) {
  t = performance.now();
  let x = 0;
  for (const h of hs) {
    h.quantiles(QS, out);
    x += out[0] + h.min + h.max + h.sum / h.n;
  }
  const took = performance.now() - t;
  if (rep > 0) worst = Math.max(worst, took);
  if (x === 42) console.log(x);
}
// accuracy against the exact nearest-rank percentiles of one window
const exact =
  [...hs[0].counts].length &&
  (() => {
    const s = Array.from({ length: 1028 }, (_, k) => ms[k & 1023]).sort((a, b) => a - b);
    return QS.map((q) => s[Math.max(0, Math.ceil(q * 1028) - 1)]);
  })();
const approx = hs[0].quantiles(QS, new Float64Array(QS.length));
const err = Math.max(...QS.map((_, i) => Math.abs(approx[i] - exact[i]) / exact[i]));
console.log(
  `log histogram (α=${ALPHA}): update ${perUpdate.toFixed(1)} ns/sample; statistics of 10 000 timers × 1028 samples: ${worst.toFixed(1)} ms; ` +
    `max relative error of p50–p999 vs exact: ${(err * 100).toFixed(2)} %; ${(BUCKETS * 4) / 1024} KiB per timer`,
);
