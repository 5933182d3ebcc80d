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
 *   node src/carbon.mjs --no-calls             (only the 10 000-series report)
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
 * scheduled report, whose ticks a setImmediate probe measures.
 */
async function report(label, mix, samples) {
  bytes = 0;
  lines = 0;
  const stats = new StatsClient({ transport: noop, carbon: { interval: 1000 }, onError: () => {} });
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
  // 1. synchronous flush(): the whole batch in one go
  const t = performance.now();
  await stats.flush();
  const syncMs = performance.now() - t;
  const syncBytes = bytes;
  const syncLines = lines;
  // 2. the scheduled reports: let the ones already due run, then add a sample to every timer (so its
  // percentiles are computed again: the worst case) and time the ticks of the next report.
  lines = 0;
  await new Promise((r) => setTimeout(r, 2500));
  // a report writes exactly syncLines lines: wait until none is half-written
  const settled = async () => {
    const until = performance.now() + 20_000;
    while (lines % syncLines !== 0 && performance.now() < until) await new Promise((r) => setTimeout(r, 5));
  };
  await settled();
  lines = 0;
  // Time every timer/immediate callback (the report runs in them: its first slice from the interval
  // timer, the rest from setImmediate); a callback that wrote lines is a tick of the report.
  const gaps = [];
  const realTimeout = globalThis.setTimeout;
  const realImmediate = globalThis.setImmediate;
  const timed =
    (fn) =>
    (...args) => {
      const before = lines;
      const t0 = performance.now();
      try {
        return fn(...args);
      } finally {
        if (lines !== before) gaps.push(performance.now() - t0);
      }
    };
  globalThis.setTimeout = (fn, ...rest) => realTimeout(timed(fn), ...rest);
  globalThis.setImmediate = (fn, ...rest) => realImmediate(timed(fn), ...rest);
  // the interval timer was armed before the patch: the next report's first slice is not timed, but
  // it re-arms the timer through the patched setTimeout. So: wait for that report, then measure the next.
  // one report writes as many lines as flush() did: wait until that many more were written
  const reportDone = () =>
    new Promise((resolve) => {
      const start = performance.now();
      const poll = () => {
        if (lines >= syncLines || performance.now() - start > 20_000) return resolve(undefined);
        realTimeout(poll, 5);
      };
      poll();
    });
  await reportDone();
  await settled();
  for (let j = 0; j < k; j++) if (mix.length > 1 || mix[0][0] === 'timer') stats.timing(`svc.k${j}`, 2);
  gaps.length = 0;
  lines = 0;
  const cpu0 = process.cpuUsage();
  await reportDone();
  globalThis.setTimeout = realTimeout;
  globalThis.setImmediate = realImmediate;
  const cpu = process.cpuUsage(cpu0);
  const loopMs = gaps.reduce((a, g) => a + g, 0);
  const maxTick = Math.max(...gaps);
  await stats.close();
  console.log(
    `${label}: flush() ${syncMs.toFixed(1)} ms for ${syncLines} lines, ${(syncBytes / 1024).toFixed(0)} KiB; ` +
      `scheduled report: ${gaps.length} ticks, ${loopMs.toFixed(1)} ms of event loop in total, longest tick ${maxTick.toFixed(1)} ms, ` +
      `CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms`,
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
await report('10 000 timers x 1028 samples (full windows, worst case)', [['timer', 10_000]], 1028);
