/**
 * The direct carbon reporter, seen through the memory transport: what each metric kind becomes on
 * carbon's plaintext wire, timestamps, bounds and refusals. The real-carbon tests are graphite.test.ts.
 */
import { ErrorCodes, MemoryTransport, StatsClient, type StatsError } from '@statskit/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** `path value ts` lines → path → [value, ts]. */
function parse(lines: readonly string[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const packet of lines) {
    for (const line of packet.split('\n')) {
      const [path, value, ts] = line.split(' ');
      expect(line.split(' ')).toHaveLength(3);
      out.set(path as string, [Number(value), Number(ts)]);
    }
  }
  return out;
}

function client(opts: Record<string, unknown> = {}) {
  const mem = new MemoryTransport();
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    transport: mem,
    carbon: { interval: 10_000, ...(opts['carbon'] as object) },
    prefix: 'app',
    random: () => 0.25, // sampled calls at rate 0.5 are kept
    onError: (e) => errors.push(e),
    ...Object.fromEntries(Object.entries(opts).filter(([k]) => k !== 'carbon')),
  });
  return { mem, errors, stats };
}

describe('carbon reporter (memory transport)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-01-01T00:00:03.500Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports counters as count, delta and meter rates, stamped with the start of the interval', async () => {
    const { mem, stats } = client();
    stats.incr('hits', 3);
    stats.incr('hits', 2);
    stats.incr('sampled', 1, { rate: 0.5 });
    // the interval began at 00:00:00; its report goes out at 00:00:10
    await vi.advanceTimersByTimeAsync(6_600);
    const m = parse(mem.lines);
    const t0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
    expect(m.get('app.hits.count')).toEqual([5, t0]);
    expect(m.get('app.hits.delta')).toEqual([5, t0]);
    expect(m.get('app.sampled.count')?.[0]).toBe(2);
    // one 5-second tick saw 5 marks: 1/s, and that is the first value of every average
    expect(m.get('app.hits.m1_rate')?.[0]).toBe(1);
    expect(m.get('app.hits.m5_rate')?.[0]).toBe(1);
    expect(m.get('app.hits.m15_rate')?.[0]).toBe(1);
    // 5 marks over the 6.5 s the counter existed
    expect(m.get('app.hits.mean_rate')?.[0]).toBeCloseTo(5 / 6.5, 6);
    mem.clear();
    stats.incr('hits', 1);
    await vi.advanceTimersByTimeAsync(10_000);
    const n = parse(mem.lines);
    expect(n.get('app.hits.count')).toEqual([6, t0 + 10]);
    expect(n.get('app.hits.delta')).toEqual([1, t0 + 10]);
    await stats.close();
  });

  it('reports gauges as their last value, sets as distinct members of the interval', async () => {
    const { mem, stats } = client();
    stats.gauge('temp', 10);
    stats.gaugeDelta('temp', -15);
    stats.gaugeDelta('queue', 4);
    stats.set('users', 'a');
    stats.set('users', 'b');
    stats.set('users', 'a');
    await vi.advanceTimersByTimeAsync(6_500);
    let m = parse(mem.lines);
    expect(m.get('app.temp')?.[0]).toBe(-5);
    expect(m.get('app.queue')?.[0]).toBe(4);
    expect(m.get('app.users.count')?.[0]).toBe(2);
    mem.clear();
    await vi.advanceTimersByTimeAsync(10_000);
    m = parse(mem.lines);
    expect(m.get('app.temp')?.[0]).toBe(-5); // a gauge keeps its value
    expect(m.get('app.users.count')?.[0]).toBe(0); // a set starts over
    await stats.close();
  });

  it('reports timers as count, min, max, mean, stddev, percentiles and rates; histograms without rates', async () => {
    const { mem, stats } = client();
    for (let i = 1; i <= 1000; i++) stats.timing('db', i);
    for (let i = 1; i <= 10; i++) stats.histogram('size', i * 10);
    await vi.advanceTimersByTimeAsync(6_500);
    const m = parse(mem.lines);
    const v = (k: string) => m.get(`app.db.${k}`)?.[0];
    expect([v('count'), v('min'), v('max'), v('mean')]).toEqual([1000, 1, 1000, 500.5]);
    expect(v('stddev')).toBeCloseTo(288.8194, 3);
    // the exact nearest-rank values are 500 750 950 980 990 999: each within 1/128 of it
    const exact = [500, 750, 950, 980, 990, 999];
    const got = [v('p50'), v('p75'), v('p95'), v('p98'), v('p99'), v('p999')] as number[];
    for (let i = 0; i < exact.length; i++)
      expect(Math.abs((got[i] as number) - (exact[i] as number))).toBeLessThanOrEqual(
        (exact[i] as number) / 128,
      );
    expect(v('m1_rate')).toBe(200);
    expect(Math.abs((m.get('app.size.p50')?.[0] as number) - 50)).toBeLessThanOrEqual(50 / 128);
    expect(m.has('app.size.m1_rate')).toBe(false);
    await stats.close();
  });

  it('timer statistics are per interval: the next report covers only its own samples; an idle one only count and rates', async () => {
    const { mem, stats } = client();
    for (let i = 1; i <= 1000; i++) stats.timing('db', 100);
    await vi.advanceTimersByTimeAsync(6_500); // the interval 00:00:00 is reported
    for (let i = 1; i <= 10; i++) stats.timing('db', 5);
    mem.clear();
    await vi.advanceTimersByTimeAsync(10_000); // 00:00:10
    let m = parse(mem.lines);
    const v = (k: string) => m.get(`app.db.${k}`)?.[0];
    // a window would still hold the 1000 samples of 100 ms: max 100, p50 100
    expect([v('count'), v('min'), v('max'), v('mean'), v('stddev'), v('p50'), v('p999')]).toEqual([
      1010, 5, 5, 5, 0, 5, 5,
    ]);
    mem.clear();
    await vi.advanceTimersByTimeAsync(10_000); // 00:00:20, no sample
    m = parse(mem.lines);
    expect(v('count')).toBe(1010);
    expect(m.has('app.db.m1_rate')).toBe(true);
    expect([m.has('app.db.min'), m.has('app.db.mean'), m.has('app.db.p50')]).toEqual([false, false, false]);
    await stats.close();
  });

  it("reservoir: 'window' keeps the last reservoirSize samples of a timer, exact, across reports", async () => {
    const { mem, stats } = client({ carbon: { reservoir: 'window', reservoirSize: 100 } });
    for (let i = 1; i <= 1000; i++) stats.timing('db', i);
    await stats.flush();
    let m = parse(mem.lines);
    expect(m.get('app.db.count')?.[0]).toBe(1000);
    expect(m.get('app.db.min')?.[0]).toBe(901);
    expect(m.get('app.db.p50')?.[0]).toBe(950);
    expect(m.get('app.db.p99')?.[0]).toBe(999);
    mem.clear();
    await vi.advanceTimersByTimeAsync(16_500); // two reports, no new sample: the window stays
    m = parse(mem.lines);
    expect(m.get('app.db.p50')?.[0]).toBe(950);
    await stats.close();
  });

  it('writes Graphite 1.1 tags after the stat and an API key as the first segment', async () => {
    const { mem, stats } = client({ carbon: { apiKey: 'abc-123' }, tags: { env: 'prod' } });
    stats.incr('req', 1, { tags: { route: '/users/:id' } });
    stats.timing('lat', 5, { tags: { route: 'a b' } });
    await stats.flush();
    const m = parse(mem.lines);
    expect(m.get('abc-123.app.req.count;env=prod;route=/users/_id')?.[0]).toBe(1);
    expect(m.get('abc-123.app.lat.p99;env=prod;route=a_b')?.[0]).toBe(5);
    await stats.close();
  });

  it('sanitizes names for Graphite: no space, no /, no empty segment', async () => {
    const { mem, stats } = client();
    stats.incr('GET /users/list..x y');
    await stats.flush();
    const paths = [...parse(mem.lines).keys()];
    expect(paths).toContain('app.GET__users_list.x_y.count');
    for (const p of paths) expect(p).not.toMatch(/[ /]|\.\./);
    await stats.close();
  });

  it('flush() writes the unfinished interval with its start as timestamp, and does not end it', async () => {
    const { mem, stats } = client();
    stats.incr('jobs', 2);
    await stats.flush();
    const t0 = Date.parse('2026-01-01T00:00:00Z') / 1000;
    expect(parse(mem.lines).get('app.jobs.delta')).toEqual([2, t0]);
    mem.clear();
    stats.incr('jobs', 3);
    await vi.advanceTimersByTimeAsync(6_600);
    // the scheduled report of the same interval carries the whole delta, overwriting the partial point
    expect(parse(mem.lines).get('app.jobs.delta')).toEqual([5, t0]);
    await stats.close();
  });

  it('holds at most maxKeys series: a new one is dropped, counted and reported once per interval', async () => {
    const { mem, stats, errors } = client({ carbon: { maxKeys: 3 } });
    for (let i = 0; i < 10; i++) stats.incr(`k${i}`);
    stats.incr('k0', 5);
    await stats.flush();
    const m = parse(mem.lines);
    expect(m.get('app.k0.count')?.[0]).toBe(6);
    expect(m.has('app.k3.count')).toBe(false);
    expect(stats.telemetry().droppedBy.overflow).toBe(7);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.TOO_MANY_KEYS]);
    await stats.close();
  });

  it('refuses what carbon cannot read (DogStatsD events, timestamped metrics) with a coded error', async () => {
    const { mem, stats, errors } = client();
    stats.event('deploy', 'v1');
    stats.gauge('g', 1, { timestamp: 1_700_000_000 });
    await stats.flush();
    expect(mem.lines.join('\n')).not.toContain('_e{');
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.code).toBe(ErrorCodes.INVALID_VALUE);
    expect(stats.telemetry().droppedBy.invalid).toBe(2);
    await stats.close();
  });

  it('UDP: every packet fits carbon.maxPacketSize', async () => {
    const { mem, stats } = client({ carbon: { protocol: 'udp', maxPacketSize: 200 } });
    for (let i = 0; i < 50; i++) stats.timing(`t${i}`, i);
    await stats.flush();
    expect(mem.lines.length).toBeGreaterThan(10);
    for (const p of mem.lines) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(200);
    expect(parse(mem.lines).size).toBe(50 * 15);
    await stats.close();
  });

  it('rejects invalid carbon options at construction', () => {
    expect(() => new StatsClient({ carbon: { interval: 10 } })).toThrow(/carbon.interval/);
    expect(() => new StatsClient({ carbon: true, tagFormat: 'datadog' })).toThrow(/tagFormat/);
    expect(() => new StatsClient({ carbon: true, aggregate: true })).toThrow(/aggregate/);
    expect(() => new StatsClient({ carbon: { apiKey: 'a.b' } })).toThrow(/apiKey/);
    // @ts-expect-error: not a reservoir kind
    expect(() => new StatsClient({ carbon: { reservoir: 'decaying' } })).toThrow(/carbon.reservoir/);
  });

  it('reports percentiles asked in any order, each under its own name', async () => {
    const { mem, stats } = client({ carbon: { reservoir: 'window', percentiles: [0.99, 0.5, 0.99] } });
    for (let i = 1; i <= 100; i++) stats.timing('db', i);
    await stats.flush();
    const m = parse(mem.lines);
    expect([m.get('app.db.p50')?.[0], m.get('app.db.p99')?.[0]]).toEqual([50, 99]);
    await stats.close();
  });
});
