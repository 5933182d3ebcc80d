import { type ClientOptions, StatsClient, type TagFormat, type Transport } from '@statskit/client';
import { parseLine } from '@statskit/client/testing';
import { afterEach, describe, expect, test, vi } from 'vitest';

/** A transport that records packets and checks the byte count the client computed against Buffer.byteLength. */
function recorder() {
  const packets: string[] = [];
  const badCounts: string[] = [];
  const transport: Transport = {
    send(packet, bytes) {
      packets.push(packet);
      if (Buffer.byteLength(packet) !== bytes)
        badCounts.push(`${bytes} != ${Buffer.byteLength(packet)}: ${packet}`);
    },
    flush: async () => {},
    close: async () => {},
  };
  const lines = () => packets.flatMap((p) => p.split('\n'));
  return { packets, badCounts, transport, lines };
}

function client(options: ClientOptions) {
  const rec = recorder();
  const errors: unknown[] = [];
  const stats = new StatsClient({ ...options, transport: rec.transport, onError: (e) => errors.push(e) });
  return { stats, rec, errors };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('aggregate: in-process aggregation', () => {
  test('a hot counter becomes one line per (name, tags) per interval, with the same total', async () => {
    const { stats, rec } = client({ prefix: 'app', aggregate: true });
    for (let i = 0; i < 10_000; i++) stats.incr('hits');
    for (let i = 0; i < 7; i++) stats.incr('hits', 2, { tags: { route: '/a' } });
    stats.decr('hits', 5);
    expect(rec.packets).toEqual([]); // nothing sent before the interval ends
    await stats.flush();
    expect(rec.lines()).toEqual(['app.hits:9995|c', 'app.hits:14|c|#route:/a']);
    expect(stats.telemetry()).toMatchObject({ aggregated: 10_008, metrics: 2, linesSent: 2 });
    expect(rec.badCounts).toEqual([]);
  });

  test('sampled counters are weighted by 1/rate, so the server sees the estimated total without |@', async () => {
    let n = 0;
    // deterministic: every fourth call passes a rate of 0.25
    const { stats, rec } = client({ aggregate: true, random: () => (n++ % 4 === 0 ? 0 : 0.9) });
    for (let i = 0; i < 400; i++) stats.incr('s', 1, { rate: 0.25 });
    await stats.flush();
    expect(rec.lines()).toEqual(['s:400|c']);
  });

  test('gauges fold to their last value; deltas add; a negative result is sent as 0 then -N in one packet', async () => {
    const { stats, rec } = client({ aggregate: true });
    stats.gauge('abs', 5);
    stats.gauge('abs', 9);
    stats.gaugeDelta('abs', 2);
    stats.gauge('neg', 3);
    stats.gaugeDelta('neg', -10);
    stats.gaugeDelta('delta', -1);
    stats.gaugeDelta('delta', 4);
    stats.gaugeDelta('zero', 1);
    stats.gaugeDelta('zero', -1);
    stats.gauge('direct', -4);
    await stats.flush();
    expect(rec.lines()).toEqual([
      'abs:11|g',
      'neg:0|g',
      'neg:-7|g',
      'delta:+3|g',
      'direct:0|g',
      'direct:-4|g',
    ]);
    expect(rec.packets.some((p) => p.includes('neg:0|g\nneg:-7|g'))).toBe(true);
    expect(rec.badCounts).toEqual([]);
  });

  test('set members are sent once each per interval, multi-byte members counted in bytes', async () => {
    const { stats, rec } = client({ aggregate: true });
    for (const m of ['ann', 'bob', 'ann', 'zoë', '日本', 'zoë', 7, 7]) stats.set('users', m);
    await stats.flush();
    expect(rec.lines()).toEqual(['users:ann|s', 'users:bob|s', 'users:zoë|s', 'users:日本|s', 'users:7|s']);
    expect(rec.badCounts).toEqual([]);
  });

  test("timer samples are all sent (one line each by default, one multi-value line for a named server), and summarised with timers: 'summary'", async () => {
    const raw = client({ aggregate: true });
    raw.stats.timing('t', 3);
    raw.stats.timing('t', 4);
    await raw.stats.flush();
    expect(raw.rec.lines()).toEqual(['t:3|ms', 't:4|ms']);
    const dog = client({ server: 'dogstatsd', aggregate: true });
    dog.stats.timing('t', 3);
    dog.stats.timing('t', 4);
    await dog.stats.flush();
    expect(dog.rec.lines()).toEqual(['t:3:4|ms']);

    const sum = client({ aggregate: { timers: 'summary', percentiles: [0.5, 0.9, 0.999] } });
    for (let i = 100; i >= 1; i--) sum.stats.timing('t', i);
    sum.stats.histogram('h', 8);
    await sum.stats.flush();
    expect(sum.rec.lines()).toEqual([
      't.count:100|c',
      't.min:1|g',
      't.max:100|g',
      't.mean:50.5|g',
      't.p50:50|g',
      't.p90:90|g',
      't.p999:100|g',
      'h.count:1|c',
      'h.min:8|g',
      'h.max:8|g',
      'h.mean:8|g',
      'h.p50:8|g',
      'h.p90:8|g',
      'h.p999:8|g',
    ]);
  });

  test('the reservoir bounds memory: percentiles come from at most reservoirSize samples', async () => {
    const { stats, rec } = client({
      aggregate: { timers: 'summary', reservoirSize: 10, percentiles: [0.5] },
    });
    for (let i = 1; i <= 10_000; i++) stats.timing('t', i);
    await stats.flush();
    const lines = rec.lines();
    expect(lines.slice(0, 4)).toEqual(['t.count:10000|c', 't.min:1|g', 't.max:10000|g', 't.mean:5000.5|g']);
    const p50 = Number(parseLine(lines[4] as string)?.value);
    expect(p50).toBeGreaterThanOrEqual(1);
    expect(p50).toBeLessThanOrEqual(10_000);
  });

  test.each<TagFormat>(['datadog', 'telegraf', 'graphite', 'none'])(
    'tags stay in place in %s format',
    async (tagFormat) => {
      const { stats, rec } = client({ aggregate: true, tagFormat, tags: { env: 'prod' } });
      stats.incr('c', 1, { tags: { k: 'v' } });
      stats.incr('c', 1, { tags: { k: 'v' } });
      stats.gauge('g', -1);
      await stats.flush();
      const expected = {
        datadog: ['c:2|c|#env:prod,k:v', 'g:0|g|#env:prod', 'g:-1|g|#env:prod'],
        telegraf: ['c,env=prod,k=v:2|c', 'g,env=prod:0|g', 'g,env=prod:-1|g'],
        graphite: ['c;env=prod;k=v:2|c', 'g;env=prod:0|g', 'g;env=prod:-1|g'],
        none: ['c:2|c', 'g:0|g', 'g:-1|g'],
      }[tagFormat];
      expect(rec.lines()).toEqual(expected);
      for (const line of rec.lines()) expect(parseLine(line, tagFormat)).toBeDefined();
      expect(rec.badCounts).toEqual([]);
    },
  );

  test('aggregates are sent on the interval timer and on close(); past maxKeys a new key goes out raw at once', async () => {
    vi.useFakeTimers();
    const { stats, rec } = client({ aggregate: { interval: 1000, maxKeys: 3 }, flushInterval: 10 });
    stats.incr('a');
    await vi.advanceTimersByTimeAsync(999);
    expect(rec.lines()).toEqual([]);
    await vi.advanceTimersByTimeAsync(20);
    expect(rec.lines()).toEqual(['a:1|c']);

    stats.incr('k1');
    stats.incr('k2');
    stats.incr('k3');
    stats.incr('k4'); // the 4th distinct key is sent raw, within flushInterval; the first three stay held
    stats.incr('k4');
    await vi.advanceTimersByTimeAsync(20);
    expect(rec.lines()).toEqual(['a:1|c', 'k4:1|c', 'k4:1|c']);
    expect(stats.telemetry().aggregated).toBe(4);
    await stats.close();
    expect(rec.lines()).toEqual(['a:1|c', 'k4:1|c', 'k4:1|c', 'k1:1|c', 'k2:1|c', 'k3:1|c']);
  });

  test('children share the aggregator and keep their own prefix and tags', async () => {
    const { stats, rec } = client({ prefix: 'app', aggregate: true });
    const api = stats.child({ prefix: 'api', tags: { team: 'core' } });
    stats.incr('x');
    api.incr('x');
    api.incr('x');
    await stats.close();
    expect(rec.lines()).toEqual(['app.x:1|c', 'app.api.x:2|c|#team:core']);
  });

  test('invalid aggregate options throw at construction', () => {
    expect(() => new StatsClient({ aggregate: { timers: 'median' as 'raw' } })).toThrow(/aggregate.timers/);
    expect(() => new StatsClient({ aggregate: { percentiles: [1.5] } })).toThrow(/percentiles/);
    expect(() => new StatsClient({ aggregate: { interval: 0 } })).toThrow(/interval/);
  });
});
