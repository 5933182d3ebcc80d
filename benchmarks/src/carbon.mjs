/**
 * The direct carbon reporter (`carbon` option), through the public API with a no-op transport:
 *
 * 1. per-call cost (mitata): `timing()` / `incr()` into the in-process reservoir and meters, against the
 *    statsd path's buffered call (`timing()` / `incr()` formatted into the batch);
 * 2. a report of 10 000 series: the synchronous `flush()` (ms, bytes, lines), and the scheduled report
 *    that runs in slices — its event-loop time (sum of the ticks it took) and its longest tick, seen by
 *    a `setImmediate` probe, and the process CPU time while it ran.
 *
 *   node --expose-gc src/carbon.mjs            (npm run bench:carbon)
 *   node src/carbon.mjs --no-calls             (only the 10 000-series reports)
 *   node src/carbon.mjs --no-window            (without the slow `reservoir: 'window'` case)
 */
import { StatsClient } from '@statskit/client';
import { bench, group, run, summary } from 'mitata';

let bytes = 0;
let lines = 0;
/** @type {import('@statskit/client').Transport} */
const noop = {
  send(_packet, b, n) {
    bytes += b;
    lines += n;
  },
  flush: async () => {},
  close: async () => {},
};

const names = Array.from({ length: 100 }, (_, i) => `bench.route_${i}.GET`);
const ms = Array.from({ length: 1024 }, (_, k) => Math.round(((k * 7919) % 250_000) / 1.7) / 1000);
let i = 0;
const next = () => {
  i = (i + 1) & 1023;
  return i;
};

if (!process.argv.includes('--no-calls')) {
  const statsd = new StatsClient({ transport: noop, onError: () => {} });
  const carbon = new StatsClient({ transport: noop, carbon: { interval: 60_000 }, onError: () => {} });
  group('per call', () => {
    summary(() => {
      bench('timing(), statsd path (format + batch append)', () => {
        statsd.timing(/** @type {string} */ (names[next() % 100]), /** @type {number} */ (ms[i]));
      });
      bench('timing(), carbon reporter (reservoir + meter)', () => {
        carbon.timing(/** @type {string} */ (names[next() % 100]), /** @type {number} */ (ms[i]));
      });
    });
    summary(() => {
      bench('incr(), statsd path', () => {
        statsd.incr(/** @type {string} */ (names[next() % 100]));
      });
      bench('incr(), carbon reporter', () => {
        carbon.incr(/** @type {string} */ (names[next() % 100]));
      });
    });
    summary(() => {
      bench('timing() with tags, statsd path', () => {
        statsd.timing('bench.tagged', /** @type {number} */ (ms[next()]), { tags: { route: `r${i & 7}` } });
      });
      bench('timing() with tags, carbon reporter', () => {
        carbon.timing('bench.tagged', /** @type {number} */ (ms[next()]), { tags: { route: `r${i & 7}` } });
      });
    });
  });
  await run();
  await statsd.close();
  await carbon.close();
}

/**
 * 10 000 series of a mix (`samples` per timer), reported once synchronously (`flush()`), then by the
 * scheduled report, whose ticks a probe measures. Worst case for the histogram reservoir (the default,
 * cleared at each report): every timer got `samples` samples during the interval being reported, so the
 * timers are filled again right after a report, and the next report is the one measured.
 */
async function report(label, mix, samples, carbon = {}) {
  bytes = 0;
  lines = 0;
  const interval = 3000;
  const stats = new StatsClient({ transport: noop, carbon: { interval, ...carbon }, onError: () => {} });
  const fill = () => {
    let k = 0;
    for (const [kind, n] of mix) {
      for (let j = 0; j < n; j++, k++) {
        const name = `svc.k${k}`;
        if (kind === 'counter') stats.incr(name, j);
        else if (kind === 'gauge') stats.gauge(name, j);
        else if (kind === 'set') for (let m = 0; m < 3; m++) stats.set(name, `m${m}`);
        else for (let s = 0; s < samples; s++) stats.timing(name, /** @type {number} */ (ms[(j + s) & 1023]));
      }
    }
  };
  fill();
  // 1. synchronous flush(): the whole batch in one go
  const t = performance.now();
  await stats.flush();
  const syncMs = performance.now() - t;
  const syncBytes = bytes;
  const syncLines = lines;
  // 2. the scheduled report. Time every timer/immediate callback (the report runs in them: its first
  // slice from the interval timer, the rest from setImmediate); a callback that wrote lines is a tick
  // of the report. The interval timer was armed before the patch: the next report's first slice is not
  // timed, but it re-arms the timer through the patched setTimeout — so: wait for one report, fill
  // again, measure the next.
  const gaps = [];
  /** Lines of the measured report: ticks after it are not counted. */
  let want = Number.POSITIVE_INFINITY;
  const realTimeout = globalThis.setTimeout;
  const realImmediate = globalThis.setImmediate;
  const timed =
    (fn) =>
    (...args) => {
      const before = lines;
      if (before >= want) return fn(...args);
      const t0 = performance.now();
      try {
        return fn(...args);
      } finally {
        if (lines !== before) gaps.push(performance.now() - t0);
      }
    };
  globalThis.setTimeout = (fn, ...rest) => realTimeout(timed(fn), ...rest);
  globalThis.setImmediate = (fn, ...rest) => realImmediate(timed(fn), ...rest);
  /** Until `n` lines were written since `lines` was last zeroed, and no more come for 50 ms. */
  const written = (n) =>
    new Promise((resolve) => {
      const start = performance.now();
      let last = -1;
      const poll = () => {
        if ((lines >= n && lines === last) || performance.now() - start > 20_000) return resolve(undefined);
        last = lines;
        realTimeout(poll, 50);
      };
      poll();
    });
  lines = 0;
  await written(1);
  const f0 = performance.now();
  fill();
  const fillMs = performance.now() - f0;
  gaps.length = 0;
  lines = 0;
  want = syncLines;
  const cpu0 = process.cpuUsage();
  await written(syncLines);
  globalThis.setTimeout = realTimeout;
  globalThis.setImmediate = realImmediate;
  const cpu = process.cpuUsage(cpu0);
  const loopMs = gaps.reduce((a, g) => a + g, 0);
  const maxTick = Math.max(...gaps);
  const reported = Math.min(lines, syncLines);
  await stats.close();
  console.log(
    `${label}: flush() ${syncMs.toFixed(1)} ms for ${syncLines} lines, ${(syncBytes / 1024).toFixed(0)} KiB; ` +
      `scheduled report: ${reported} lines in ${gaps.length} ticks, ${loopMs.toFixed(1)} ms of event loop in total, longest tick ${maxTick.toFixed(1)} ms, ` +
      `CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms (filled in ${fillMs.toFixed(0)} ms)`,
  );
}

console.log('\n10 000-series reports (carbon reporter, no-op transport):');
await report('10 000 counters', [['counter', 10_000]], 0);
await report(
  '10 000 mixed (4k counters, 4k timers x 20 samples, 1k gauges, 1k sets)',
  [
    ['counter', 4000],
    ['timer', 4000],
    ['gauge', 1000],
    ['set', 1000],
  ],
  20,
);
await report('10 000 timers x 1028 samples per interval (worst case), histogram', [['timer', 10_000]], 1028);
if (!process.argv.includes('--no-window')) {
  await report("10 000 timers x 1028 samples per interval, reservoir: 'window'", [['timer', 10_000]], 1028, {
    reservoir: 'window',
  });
}
