/**
 * Issue 21: with no `server` named, what the user measures is what the server computes, on every statsd
 * server. Until then the default sent DogStatsD multi-value timer lines (`t:1:2:3|ms`): the etsy daemon
 * read one sample of each line and logged the rest as bad lines, and with `tagFormat: 'none'` or
 * `'graphite'` the etsy form (`t:1|ms:2|ms`), which collectd drops; histograms and distributions went as
 * `|h`/`|d`, which the etsy daemon counts as counters and collectd drops.
 *
 * The same call sequence on default options (and with only a tag format chosen) goes to the real etsy
 * daemon over UDP and TCP and to collectd's statsd plugin, and each server's own figures are checked;
 * both helpers also fail a test whose server logged a line it could not read.
 */
import { type ClientOptions, StatsClient, type StatsError } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Collectd, startCollectd } from '../helpers/collectd.js';
import { type StatsdDaemon, startStatsd } from '../helpers/statsd-daemon.js';

/**
 * Counters (one sampled), gauges (negative, deltas), a set, 100 timings of 1..100, and 10 histogram and
 * 10 distribution samples of 1..10. `random: () => 0` keeps every sampled call.
 */
function sequence(stats: StatsClient): void {
  for (let i = 0; i < 10; i++) stats.incr('c');
  for (let i = 0; i < 20; i++) stats.incr('sampled', 1, { rate: 0.5 });
  stats.gauge('g', 5);
  stats.gauge('neg', -7);
  stats.gaugeDelta('delta', 3);
  stats.gaugeDelta('delta', 3);
  for (const m of ['a', 'b', 'a', 'c']) stats.set('users', m);
  for (let ms = 1; ms <= 100; ms++) stats.timing('latency', ms);
  for (let v = 1; v <= 10; v++) {
    stats.histogram('h', v);
    stats.distribution('d', v);
  }
}

/** The portable defaults, and the tag formats that used to switch on a multi-value form. */
const DEFAULTS: readonly [string, ClientOptions][] = [
  ['default options', {}],
  ["tagFormat: 'none'", { tagFormat: 'none' }],
  ["tagFormat: 'graphite'", { tagFormat: 'graphite' }],
];

describe('the etsy statsd daemon computes what was measured', () => {
  let daemon: StatsdDaemon;
  beforeAll(async () => {
    daemon = await startStatsd({ flushInterval: 1000 });
  });
  afterAll(async () => {
    await daemon?.stop(); // rejects if the daemon logged a bad line
  });

  /** Run the sequence right after a flush (so it lands in one interval) and read that interval back. */
  async function run(p: string, options: ClientOptions): Promise<(path: string) => number | undefined> {
    const errors: StatsError[] = [];
    const port = options.protocol === 'tcp' ? daemon.tcpPort : daemon.udpPort;
    const stats = new StatsClient({
      port,
      prefix: p,
      random: () => 0,
      onError: (e) => errors.push(e),
      ...options,
    });
    await daemon.nextFlush();
    sequence(stats);
    await stats.close();
    expect(errors).toEqual([]);
    await daemon.waitForValue(`stats.timers.${p}.latency.count`);
    await daemon.waitForValue(`stats.timers.${p}.d.count`);
    await daemon.nextFlush(); // anything straddling the flush is in by now
    return (path) => {
      const got = daemon.flushes
        .map((f) => f.get(`stats.${path.replace('$', p)}`))
        .filter((v) => v !== undefined);
      return got.length === 1 ? got[0] : got.length === 0 ? undefined : Number.NaN;
    };
  }

  const cases: [string, ClientOptions][] = [];
  for (const protocol of ['udp', 'tcp'] as const) {
    for (const [label, options] of DEFAULTS)
      cases.push([`${label} over ${protocol}`, { ...options, protocol }]);
  }
  cases.push(["server: 'etsy' (multi-value lines) over udp", { server: 'etsy' }]);

  test.each(cases)(
    '%s',
    async (label, options) => {
      const p = `i21_${label.replace(/[^a-z]+/gi, '_')}`;
      const bad = daemon.badLines();
      const v = await run(p, options);
      expect({
        c: v('counters.$.c.count'),
        sampled: v('counters.$.sampled.count'),
        g: v('gauges.$.g'),
        neg: v('gauges.$.neg'),
        delta: v('gauges.$.delta'),
        users: v('sets.$.users.count'),
        latency: ['count', 'mean', 'upper', 'lower', 'upper_90', 'sum'].map((s) =>
          v(`timers.$.latency.${s}`),
        ),
        h: ['count', 'mean', 'upper', 'sum'].map((s) => v(`timers.$.h.${s}`)),
        d: ['count', 'mean', 'upper', 'sum'].map((s) => v(`timers.$.d.${s}`)),
        hCounter: v('counters.$.h.count'),
      }).toEqual({
        c: 10,
        sampled: 40,
        g: 5,
        neg: -7,
        delta: 6,
        users: 3,
        latency: [100, 50.5, 100, 1, 90, 5050],
        h: [10, 5.5, 10, 55],
        d: [10, 5.5, 10, 55],
        hCounter: undefined,
      });
      expect(daemon.badLines() - bad).toBe(0);
    },
    30_000,
  );
});

describe("collectd's statsd plugin computes what was measured", () => {
  let collectd: Collectd;
  beforeAll(async () => {
    collectd = await startCollectd();
  });
  afterAll(async () => {
    await collectd?.stop(); // rejects if collectd logged a line it could not parse
  });

  test.each([...DEFAULTS, ["server: 'collectd'", { server: 'collectd' }] as [string, ClientOptions]])(
    '%s',
    async (label, options) => {
      const p = `i21_${label.replace(/[^a-z]+/gi, '_')}`;
      const errors: StatsError[] = [];
      const stats = new StatsClient({
        port: collectd.port,
        prefix: p,
        random: () => 0,
        onError: (e) => errors.push(e),
        ...options,
      });
      const bad = collectd.badLines().length;
      await collectd.nextRead();
      sequence(stats);
      await stats.close();
      expect(errors).toEqual([]);
      await collectd.nextRead();
      await collectd.nextRead();
      const timer = (name: string) => collectd.timer(`${p}.${name}`);
      expect({
        c: collectd.counter(`${p}.c`),
        sampled: collectd.counter(`${p}.sampled`),
        g: collectd.gauge(`${p}.g`),
        neg: collectd.gauge(`${p}.neg`),
        delta: collectd.gauge(`${p}.delta`),
        users: collectd.set(`${p}.users`),
        latency: timer('latency'),
        h: timer('h'),
        d: timer('d'),
      }).toEqual({
        c: 10,
        sampled: 40,
        g: 5,
        neg: -7,
        delta: 6,
        users: 3,
        // collectd estimates percentiles from a histogram: within one of its bins above the exact rank
        latency: { count: 100, mean: 50.5, upper: 100, lower: 1, sum: 5050, p90: expect.closeTo(90.5, 0) },
        h: { count: 10, mean: 5.5, upper: 10, lower: 1, sum: 55, p90: expect.closeTo(9.5, 0) },
        d: { count: 10, mean: 5.5, upper: 10, lower: 1, sum: 55, p90: expect.closeTo(9.5, 0) },
      });
      expect(collectd.badLines().slice(bad)).toEqual([]);
    },
    30_000,
  );

  test("what collectd computes differently (docs/protocol.md): timer values under 1 ms are not counted, and a sampled timer's value is divided by its rate unless server: 'collectd' leaves the rate out", async () => {
    const run = async (p: string, options: ClientOptions): Promise<void> => {
      const stats = new StatsClient({ port: collectd.port, prefix: p, random: () => 0, ...options });
      await collectd.nextRead();
      for (let i = 0; i < 5; i++) {
        stats.timing('fast', 0.5);
        stats.timing('fast', 2);
        stats.timing('sampled', 10, { rate: 0.5 });
      }
      await stats.close();
      await collectd.nextRead();
      await collectd.nextRead();
    };
    await run('i21_caveat_default', {});
    await run('i21_caveat_named', { server: 'collectd' });
    for (const p of ['i21_caveat_default', 'i21_caveat_named']) {
      expect(collectd.timer(`${p}.fast`)).toMatchObject({ count: 5, mean: 2 });
    }
    expect(collectd.timer('i21_caveat_default.sampled')).toMatchObject({ count: 5, mean: 20 });
    expect(collectd.timer('i21_caveat_named.sampled')).toMatchObject({ count: 5, mean: 10 });
  }, 30_000);
});
