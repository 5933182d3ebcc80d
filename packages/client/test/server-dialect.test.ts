/**
 * The `server` option: what each statsd server may receive. Byte-for-byte lines per dialect (checked
 * against each server's documented grammar), the defaults derived from `tagFormat`, and the etsy daemon
 * itself turning histograms and distributions into timer data.
 */
import { InvalidOptionError, StatsClient, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StatsdDaemon, startStatsd } from './helpers/statsd-daemon.js';

const AT = new Date(1_700_000_000_000);

/** Every metric type once, with a tag, and a timestamped count and gauge. */
function sendAll(stats: StatsClient): void {
  const opts = { tags: { route: 'home' } };
  stats.incr('c', 2, opts);
  stats.gauge('g', 3, opts);
  stats.timing('t', 4, opts);
  stats.histogram('h', 5, opts);
  stats.distribution('d', 6, opts);
  stats.set('s', 'u', opts);
  stats.incr('ts', 1, { timestamp: AT });
  stats.gauge('tg', 7, { timestamp: AT });
  stats.histogram('rate', 8, { rate: 0.5 });
}

/**
 * Each server's grammar, from its documentation:
 * - DogStatsD: `<name>:<value>|<c|g|ms|h|s|d>[|@<rate>][|#<tags>][|T<unix seconds>]` (fields after the
 *   type in any order; statskit writes rate, T, then tags).
 * - Telegraf statsd input: `<name>[,<k>=<v>]*:<value>|<c|g|ms|h|s>[|@<rate>]` (`d` only with
 *   `datadog_distributions`, no `T`).
 * - etsy statsd 0.9: `<name>:<value>|<c|g|ms|s>[|@<rate>]` (it counts any other type as a counter);
 *   Graphite 1.1 tags ride in the name as `;k=v`.
 */
const GRAMMAR = {
  dogstatsd: /^[^:|#\n]+:[^:|\n]+\|(c|g|ms|h|s|d)(\|@[0-9.]+)?(\|T\d+)?(\|#[^|\n]+)?$/,
  telegraf: /^[^:|,\n]+(,[^=,:|\n]+=[^,:|\n]+)*:[^:|\n]+\|(c|g|ms|h|s)(\|@[0-9.]+)?$/,
  etsy: /^[^:|\n]+:[^:|\n]+\|(c|g|ms|s)(\|@[0-9.]+)?$/,
} as const;

describe('server option: lines byte for byte', () => {
  const half = (): number => 0.1;

  test('no server named: the portable form, whatever the tag format (|ms for histograms and distributions, no |T, no rate on gauges)', () => {
    const stats = createTestClient({ random: half });
    sendAll(stats);
    stats.gauge('grate', 9, { rate: 0.5 });
    stats.set('srate', 'v', { rate: 0.5 });
    expect(stats.lines).toEqual([
      'c:2|c|#route:home',
      'g:3|g|#route:home',
      't:4|ms|#route:home',
      'h:5|ms|#route:home',
      'd:6|ms|#route:home',
      's:u|s|#route:home',
      'ts:1|c',
      'tg:7|g',
      'rate:8|ms|@0.5',
      'grate:9|g',
      'srate:v|s',
    ]);
    for (const tagFormat of ['telegraf', 'graphite', 'none'] as const) {
      const other = createTestClient({ tagFormat, random: half });
      other.histogram('h', 1);
      other.distribution('d', 1);
      other.incr('ts', 1, { timestamp: AT });
      expect(other.lines).toEqual(['h:1|ms', 'd:1|ms', 'ts:1|c']);
    }
  });

  test("'dogstatsd': every type as called, |T kept", () => {
    const stats = createTestClient({ server: 'dogstatsd', random: half });
    sendAll(stats);
    expect(stats.lines).toEqual([
      'c:2|c|#route:home',
      'g:3|g|#route:home',
      't:4|ms|#route:home',
      'h:5|h|#route:home',
      'd:6|d|#route:home',
      's:u|s|#route:home',
      'ts:1|c|T1700000000',
      'tg:7|g|T1700000000',
      'rate:8|h|@0.5',
    ]);
    for (const l of stats.lines) expect(l).toMatch(GRAMMAR.dogstatsd);
  });

  test("'telegraf' (Telegraf tags by default): distributions as |h, no |T", () => {
    const stats = createTestClient({ server: 'telegraf', random: half });
    sendAll(stats);
    expect(stats.lines).toEqual([
      'c,route=home:2|c',
      'g,route=home:3|g',
      't,route=home:4|ms',
      'h,route=home:5|h',
      'd,route=home:6|h',
      's,route=home:u|s',
      'ts:1|c',
      'tg:7|g',
      'rate:8|h|@0.5',
    ]);
    for (const l of stats.lines) expect(l).toMatch(GRAMMAR.telegraf);
  });

  test("'etsy' (the default with Graphite tags): histograms and distributions as |ms, no |T", () => {
    const stats = createTestClient({ server: 'etsy', random: half });
    sendAll(stats);
    expect(stats.lines).toEqual([
      'c;route=home:2|c',
      'g;route=home:3|g',
      't;route=home:4|ms',
      'h;route=home:5|ms',
      'd;route=home:6|ms',
      's;route=home:u|s',
      'ts:1|c',
      'tg:7|g',
      'rate:8|ms|@0.5',
    ]);
    for (const l of stats.lines) expect(l).toMatch(GRAMMAR.etsy);
  });

  test("'collectd': the portable form with Graphite tags in the name and no rate on timers (collectd divides the value by it)", () => {
    const stats = createTestClient({ server: 'collectd', random: half });
    sendAll(stats);
    stats.timing('trate', 10, { rate: 0.5 });
    stats.incr('crate', 1, { rate: 0.5 });
    expect(stats.lines).toEqual([
      'c;route=home:2|c',
      'g;route=home:3|g',
      't;route=home:4|ms',
      'h;route=home:5|ms',
      'd;route=home:6|ms',
      's;route=home:u|s',
      'ts:1|c',
      'tg:7|g',
      'rate:8|ms',
      'trate:10|ms',
      'crate:1|c|@0.5',
    ]);
  });

  test("'statsd_exporter': |h and |d as called (it divides |ms by 1000), no |T, DogStatsD tags", () => {
    const stats = createTestClient({ server: 'statsd_exporter', random: half });
    sendAll(stats);
    expect(stats.lines).toEqual([
      'c:2|c|#route:home',
      'g:3|g|#route:home',
      't:4|ms|#route:home',
      'h:5|h|#route:home',
      'd:6|d|#route:home',
      's:u|s|#route:home',
      'ts:1|c',
      'tg:7|g',
      'rate:8|h|@0.5',
    ]);
  });

  test('an explicit server wins over the one tagFormat implies; children and aggregation follow it', async () => {
    const stats = createTestClient({ server: 'etsy', tagFormat: 'datadog' });
    stats.child({ prefix: 'kid' }).distribution('d', 1, { tags: { a: 'b' } });
    expect(stats.lines).toEqual(['kid.d:1|ms|#a:b']);
    const agg = createTestClient({ server: 'etsy', aggregate: { timers: 'raw' } });
    agg.histogram('h', 1);
    agg.histogram('h', 2);
    await agg.flush();
    expect(agg.lines.every((l) => l.endsWith('|ms'))).toBe(true);
  });

  test('an unknown server is an InvalidOptionError', () => {
    expect(() => new StatsClient({ server: 'graphite' as 'etsy' })).toThrow(InvalidOptionError);
    expect(() => new StatsClient({ server: 'graphite' as 'etsy' })).toThrow(
      /server must be one of etsy, dogstatsd, telegraf, collectd, statsd_exporter/,
    );
  });
});

describe.each(['udp', 'tcp'] as const)(
  "server: 'etsy' on the real etsy statsd daemon over %s",
  (protocol) => {
    let daemon: StatsdDaemon;
    beforeAll(async () => {
      daemon = await startStatsd({ flushInterval: 200 });
    });
    afterAll(async () => {
      await daemon?.stop();
    });

    test('histograms and distributions arrive as timer data; a timestamped count is no bad line', async () => {
      const errors: StatsError[] = [];
      const p = `dialect_${protocol}`;
      const port = protocol === 'udp' ? daemon.udpPort : daemon.tcpPort;
      const stats = new StatsClient({
        protocol,
        port,
        prefix: p,
        server: 'etsy',
        onError: (e) => errors.push(e),
      });
      await daemon.nextFlush();
      for (const v of [1, 2, 3]) stats.histogram('h', v);
      for (const v of [10, 20, 30]) stats.distribution('d', v);
      stats.incr('ts', 4, { timestamp: AT });
      await stats.close();
      expect(errors).toEqual([]);
      const v = (path: string, want: number): Promise<number> => daemon.waitForValue(path, (x) => x === want);
      await expect(v(`stats.timers.${p}.h.count`, 3)).resolves.toBe(3);
      await expect(v(`stats.timers.${p}.h.mean`, 2)).resolves.toBe(2);
      await expect(v(`stats.timers.${p}.h.upper`, 3)).resolves.toBe(3);
      await expect(v(`stats.timers.${p}.d.sum`, 60)).resolves.toBe(60);
      await expect(v(`stats.counters.${p}.ts.count`, 4)).resolves.toBe(4);
      // not counted as counters (`|h` is summed by etsy statsd), and nothing rejected
      expect(daemon.sum(`stats.counters.${p}.h.count`)).toBe(0);
      expect(daemon.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
    }, 20_000);
  },
);
