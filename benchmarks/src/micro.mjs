/**
 * Micro-benchmarks (mitata) of statskit's hot functions, reached only through the public API: a
 * StatsClient with a no-op transport, so no socket time is measured.
 *
 *   node --expose-gc src/micro.mjs        (npm run bench:micro)
 *
 * - line formatting: `incr` with batching off (format + hand one line to the transport)
 * - batch append: the same `incr` with batching on (format + append to the packet, one send per ~50 lines)
 * - tag serialisation: `timing` with per-call tags (object and array) against none
 * - sampling and the request mix, for scale
 */
import { StatsClient } from '@statskit/client';
import { bench, do_not_optimize, group, run, summary } from 'mitata';

let sink = 0;
/** @type {import('@statskit/client').Transport} */
const noop = {
  send(_packet, bytes) {
    sink += bytes;
  },
  flush: async () => {},
  close: async () => {},
};

/** @param {import('@statskit/client').ClientOptions} [options] */
const client = (options) => new StatsClient({ transport: noop, onError: () => {}, ...options });

const names = Array.from({ length: 100 }, (_, i) => `bench.requests.route_${i}`);
const tagObjects = ['GET', 'POST', 'PUT'].flatMap((method) =>
  ['200', '404', '500', '201'].map((status) => ({ method, status, region: 'eu-west-1' })),
);
const tagArrays = tagObjects.map((t) => Object.entries(t).map(([k, v]) => `${k}:${v}`));

/** Timings as a request timer produces them: up to three decimals. */
const ms = Array.from({ length: 1024 }, (_, k) => Math.round(((k * 7919) % 250_000) / 1.7) / 1000);

const unbatched = client({ batching: false });
const batched = client();
const prefixed = client({ prefix: 'myapp', tags: { env: 'prod', host: 'web-1' } });

let i = 0;
const next = () => {
  i = (i + 1) & 1023;
  return i;
};

group('line formatting', () => {
  summary(() => {
    bench('incr, batching off (format + transport.send per line)', () => {
      unbatched.incr(/** @type {string} */ (names[next() % 100]));
    });
    bench('incr, batching on (format + batch append)', () => {
      batched.incr(/** @type {string} */ (names[next() % 100]));
    });
    bench('incr, prefix + 2 global tags, batching on', () => {
      prefixed.incr(/** @type {string} */ (names[next() % 100]));
    });
    bench('gauge, batching on', () => {
      batched.gauge('http.inflight', next() & 63);
    });
  });
});

group('tag serialisation (timing, batching on)', () => {
  summary(() => {
    bench('no per-call tags', () => {
      const k = next();
      batched.timing(/** @type {string} */ (names[k % 100]), ms[k]);
    });
    bench('3 per-call tags (object)', () => {
      const k = next();
      batched.timing(/** @type {string} */ (names[k % 100]), ms[k], { tags: tagObjects[k % 12] });
    });
    bench('3 per-call tags (array)', () => {
      const k = next();
      batched.timing(/** @type {string} */ (names[k % 100]), ms[k], { tags: tagArrays[k % 12] });
    });
    bench('3 per-call tags over 2 global tags (object)', () => {
      const k = next();
      prefixed.timing(/** @type {string} */ (names[k % 100]), ms[k], { tags: tagObjects[k % 12] });
    });
  });
});

const sampledOpts = { rate: 0.1 };
group('sampling and the request mix (batching on)', () => {
  bench('incr at rate 0.1', () => {
    batched.incr(/** @type {string} */ (names[next() % 100]), 1, sampledOpts);
  });
  bench('request mix: incr + timing + gauge', () => {
    const k = next();
    const r = k % 100;
    batched.incr(/** @type {string} */ (names[r]));
    batched.timing(/** @type {string} */ (names[r]), ms[k]);
    batched.gauge('http.inflight', k & 63);
  });
});

await run();
do_not_optimize(sink);
await Promise.all([unbatched.close(), batched.close(), prefixed.close()]);
