/**
 * What each benchmark does per operation. `n` counts metric calls; a mixed request is three calls, so
 * it runs n/3 requests. Each workload reports what it expects the receiver to see, so delivery can be
 * checked: the counter sum (scaled by 1/rate for sampled lines) or, for timings, the number of values
 * received (one per line, several per multi-value line).
 */

const NAMES = 100;
const RATE = 0.1;

/** @param {string} base */
const names = (base) => Array.from({ length: NAMES }, (_, i) => `${base}.route_${i}`);

/** Deterministic timing values with 0–3 decimals, as a request timer would produce. */
const MS = Array.from({ length: 1024 }, (_, i) => Math.round(((i * 7919) % 250_000) / 1.7) / 1000);

/** Per-call tag sets a request would carry (12 variants), in both forms clients take. */
const TAG_OBJECTS = [];
for (const method of ['GET', 'POST', 'PUT']) {
  for (const status of ['200', '201', '404', '500']) {
    TAG_OBJECTS.push({ method, status, region: 'eu-west-1' });
  }
}
const TAG_ARRAYS = TAG_OBJECTS.map((t) => Object.entries(t).map(([k, v]) => `${k}:${v}`));

/**
 * @typedef {import('./adapters/index.mjs').ClientHandle} ClientHandle
 * @typedef {object} Prepared
 * @property {number} ops            operations to run
 * @property {number} callsPerOp     metric calls per operation
 * @property {(c: ClientHandle, i: number) => void} step
 * @property {{ counterSum: number; lines: number }} expected
 * @property {'counter' | 'lines'} deliveredBy  which total decides the delivered fraction
 * @property {string} [variant]      how this client ran it when it differs (e.g. "names only")
 *
 * @typedef {object} Workload
 * @property {string} title
 * @property {string} description
 * @property {(adapter: import('./adapters/index.mjs').AdapterInfo, n: number) => Prepared | { na: string }} prepare
 */

/** @type {Record<string, Workload>} */
export const WORKLOADS = {
  incr: {
    title: '`incr` over 100 names',
    description: 'one counter increment per call, names cycling over 100 routes',
    prepare(_adapter, n) {
      const keys = names('bench.requests');
      return {
        ops: n,
        callsPerOp: 1,
        step: (c, i) => c.incr(/** @type {string} */ (keys[i % NAMES])),
        expected: { counterSum: n, lines: n },
        deliveredBy: 'counter',
      };
    },
  },
  timing: {
    title: '`timing` with per-call tags',
    description:
      'a timing per call with three per-call tags (method, status, region; 12 variants); clients ' +
      'without per-call tags send the names only (marked †)',
    prepare(adapter, n) {
      const keys = names('bench.latency');
      const tags =
        adapter.tags === 'object' ? TAG_OBJECTS : adapter.tags === 'array' ? TAG_ARRAYS : undefined;
      const v = TAG_OBJECTS.length;
      return {
        ops: n,
        callsPerOp: 1,
        step:
          tags === undefined
            ? (c, i) =>
                c.timing(/** @type {string} */ (keys[i % NAMES]), /** @type {number} */ (MS[i & 1023]))
            : (c, i) =>
                c.timing(
                  /** @type {string} */ (keys[i % NAMES]),
                  /** @type {number} */ (MS[i & 1023]),
                  tags[i % v],
                ),
        expected: { counterSum: 0, lines: n },
        deliveredBy: 'lines',
        ...(tags === undefined ? { variant: 'names only' } : {}),
      };
    },
  },
  sampled: {
    title: 'sampled counter (rate 0.1)',
    description:
      'incr with a per-call rate of 0.1: ~10 % of calls are sent with `|@0.1`; delivery compares the ' +
      'rate-scaled sum received with the calls made (±1 % sampling noise at 10^5 samples)',
    prepare(adapter, n) {
      if (!adapter.sampling) return { na: 'no client-side sampling' };
      const keys = names('bench.sampled');
      return {
        ops: n,
        callsPerOp: 1,
        step: (c, i) => c.incr(/** @type {string} */ (keys[i % NAMES]), RATE),
        expected: { counterSum: n, lines: n * RATE },
        deliveredBy: 'counter',
      };
    },
  },
  mix: {
    title: 'request mix (counter + timer + gauge)',
    description:
      'what one HTTP request sends, route in the name (no per-call tags, so every client does the same ' +
      'work): `http.requests.<route>` incr, `http.response_time.<route>` timing, `http.inflight` gauge; ' +
      'n/3 requests, times are per metric call',
    prepare(_adapter, n) {
      const requests = Math.floor(n / 3);
      const counters = names('http.requests');
      const timers = names('http.response_time');
      return {
        ops: requests,
        callsPerOp: 3,
        step: (c, i) => {
          const r = i % NAMES;
          c.incr(/** @type {string} */ (counters[r]));
          c.timing(/** @type {string} */ (timers[r]), /** @type {number} */ (MS[i & 1023]));
          c.gauge('http.inflight', i & 63);
        },
        expected: { counterSum: requests, lines: requests * 3 },
        deliveredBy: 'counter',
      };
    },
  },
};
