/**
 * The direct carbon reporter and Graphite events against the real thing: carbon-cache and graphite-web
 * from `.ci/services` (values read back through the render API), and a private carbon-cache that is
 * restarted mid-run (values read back from its whisper files).
 */
import { ErrorCodes, StatsClient, type StatsError } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CARBON_PORT,
  graphiteUp,
  history,
  latest,
  points,
  render,
  startPrivateCarbon,
  testPrefix,
  WEB_URL,
  waitFor,
} from '../helpers/graphite.js';
import { freePort } from '../helpers/statsd-daemon.js';

const up = await graphiteUp();

/**
 * `got` is what graphite-web returned for series `path`, `want` the exact value: equal, except a
 * percentile (`.pNN`), which the histogram reservoir reports within 1/128 of the exact nearest-rank
 * sample (docs/metrics.md, "Direct to carbon").
 */
function within(path: string, got: number, want: number): boolean {
  return /\.p\d+$/.test(path) ? Math.abs(got - want) <= Math.abs(want) / 128 : got === want;
}

describe.skipIf(!up)('carbon reporter → real carbon → graphite-web', () => {
  const prefix = testPrefix('reporter');
  const errors: StatsError[] = [];
  let stats: StatsClient;

  beforeAll(() => {
    stats = new StatsClient({
      carbon: { port: CARBON_PORT, interval: 1000 },
      prefix,
      onError: (e) => errors.push(e),
    });
  });
  afterAll(async () => {
    await stats?.close();
  });

  it('counts, gauges, sets, timer percentiles and meter rates read back equal what was sent', async () => {
    const samples: number[] = [];
    for (let i = 0; i < 200; i++) {
      const v = ((i * 7919) % 1000) / 10; // 0 … 99.9, shuffled
      samples.push(v);
      stats.timing('db.query', v);
    }
    stats.incr('requests', 30);
    stats.incr('requests', 20);
    stats.incr('requests', 5, { tags: { route: '/users' } });
    stats.gauge('queue.depth', 42.5);
    for (const m of ['a', 'b', 'c', 'a']) stats.set('visitors', m);

    const sorted = [...samples].sort((a, b) => a - b);
    const rank = (q: number) => sorted[Math.min(199, Math.ceil(q * 200) - 1)] as number;
    const mean = samples.reduce((a, b) => a + b, 0) / 200;
    const want = new Map<string, number>([
      [`${prefix}.requests.count`, 50],
      [`${prefix}.queue.depth`, 42.5],
      [`${prefix}.visitors.count`, 3],
      [`${prefix}.db.query.count`, 200],
      [`${prefix}.db.query.min`, sorted[0] as number],
      [`${prefix}.db.query.max`, sorted[199] as number],
      [`${prefix}.db.query.p50`, rank(0.5)],
      [`${prefix}.db.query.p95`, rank(0.95)],
      [`${prefix}.db.query.p999`, rank(0.999)],
      // a meter's first 5-second tick: 50 marks / 5 s, 200 samples / 5 s
      [`${prefix}.requests.m1_rate`, 10],
      [`${prefix}.requests.m15_rate`, 10],
      [`${prefix}.db.query.m1_rate`, 40],
    ]);
    const targets = [...want.keys(), `${prefix}.db.query.mean`, `${prefix}.requests.mean_rate`];
    // each value must have been reported at some interval (sets start over, rates decay later on)
    let seen = new Map<string, number[]>();
    await waitFor(
      async () => {
        seen = await history(targets);
        for (const [k, v] of want) if (!seen.get(k)?.some((x) => within(k, x, v))) return undefined;
        return true;
      },
      20_000,
      'the reported values in graphite-web',
      () => Object.fromEntries(seen),
    );
    expect(seen.get(`${prefix}.db.query.mean`)?.[0]).toBeCloseTo(mean, 9);
    // 50 over the time since the counter was made: below 50/s after the first second, falling
    const rates = seen.get(`${prefix}.requests.mean_rate`) as number[];
    const meanRate = rates[rates.length - 1] as number;
    expect(meanRate).toBeGreaterThan(50 / 30);
    expect(meanRate).toBeLessThan(50);
    for (let i = 1; i < rates.length; i++) expect(rates[i]).toBeLessThanOrEqual(rates[i - 1] as number);

    // a tagged series, found through graphite-web's tag index (carbon registers it)
    const tagged = await waitFor(
      async () => {
        const s = await render([`seriesByTag('name=${prefix}.requests.count','route=/users')`]);
        const p = points(s[0]);
        return p.length > 0 ? p : undefined;
      },
      20_000,
      'the tagged series',
    );
    expect(tagged[tagged.length - 1]?.[0]).toBe(5);
    expect(errors).toEqual([]);
  }, 40_000);

  it('one point per interval, each stamped with the start of its interval; counter deltas add up to the count', async () => {
    for (let i = 0; i < 4; i++) {
      stats.incr('ticks', 7);
      await new Promise((r) => setTimeout(r, 1000));
    }
    await waitFor(
      async () =>
        (await latest([`${prefix}.ticks.count`])).get(`${prefix}.ticks.count`) === 28 ? true : undefined,
      15_000,
      'ticks.count = 28',
    );
    const [deltas] = await render([`${prefix}.ticks.delta`]);
    const p = points(deltas);
    expect(p.reduce((a, [v]) => a + v, 0)).toBe(28);
    expect(new Set(p.map(([, ts]) => ts)).size).toBe(p.length);
  }, 30_000);
});

describe.skipIf(!up)('carbon reporter over UDP', () => {
  it('values sent in datagrams read back from graphite-web', async () => {
    const prefix = testPrefix('udp');
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      carbon: { port: CARBON_PORT, protocol: 'udp', interval: 1000, maxPacketSize: 512 },
      prefix,
      onError: (e) => errors.push(e),
    });
    for (let i = 1; i <= 100; i++) stats.timing('lat', i);
    stats.incr('hits', 12);
    await stats.flush();
    const want = new Map([
      [`${prefix}.lat.p99`, 99],
      [`${prefix}.lat.max`, 100],
      [`${prefix}.hits.count`, 12],
    ]);
    let seen = new Map<string, number[]>();
    await waitFor(
      async () => {
        seen = await history([...want.keys()]);
        for (const [k, v] of want) if (!seen.get(k)?.some((x) => within(k, x, v))) return undefined;
        return true;
      },
      20_000,
      'the UDP values',
      () => Object.fromEntries(seen),
    );
    expect(stats.telemetry().packetsSent).toBeGreaterThan(1); // several datagrams of <= 512 bytes
    await stats.close();
    expect(errors).toEqual([]);
  }, 30_000);
});

describe.skipIf(!up)('carbon restarted mid-run', () => {
  it('no crash; data after the restart arrives; what could not be sent is counted', async () => {
    await using carbon = await startPrivateCarbon();
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      carbon: { port: carbon.port, interval: 1000 },
      prefix: 'restart',
      maxQueueBytes: 600, // a few lines: an outage of several intervals overflows it
      onError: (e) => errors.push(e),
    });
    let sent = 0;
    const tick = async (n: number) => {
      for (let i = 0; i < n; i++) {
        stats.incr('beats');
        sent++;
        stats.gauge('phase', 1);
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    await tick(3);
    const before = await waitFor(
      async () => {
        const p = await carbon.fetch('restart.beats.count');
        return p.length > 0 ? p : undefined;
      },
      10_000,
      'points before the restart',
    );
    await carbon.stop();
    await tick(4); // reports fail meanwhile: queued, then dropped past maxQueueBytes
    await carbon.start();
    const upAt = Math.floor(Date.now() / 1000);
    // keep reporting until points written after the restart are in carbon (the client reconnects with
    // a backoff of up to 10 s)
    let after: Array<[number, number]> = [];
    for (let i = 0; i < 30 && after.length === 0; i++) {
      await tick(1);
      after = (await carbon.fetch('restart.beats.count')).filter(([ts]) => ts >= upAt);
    }
    await stats.close();
    expect(
      after.length,
      `no point after the restart; carbon said:\n${carbon.output().slice(-2000)}`,
    ).toBeGreaterThan(0);
    // the total keeps counting through the outage: a point after the restart holds every beat so far
    const total = await waitFor(
      async () => {
        const p = (await carbon.fetch('restart.beats.count')).filter(([ts]) => ts >= upAt);
        const last = p[p.length - 1];
        return last !== undefined && last[1] === sent ? last[1] : undefined;
      },
      15_000,
      'the final total after close()',
    );
    expect(total).toBe(sent);
    expect(before.length).toBeGreaterThan(0);
    const t = stats.telemetry();
    expect(errors.map((e) => e.code)).toContain(ErrorCodes.CONNECT);
    expect(t.droppedBy.queueFull + t.droppedBy.sendError).toBeGreaterThan(0);
    // every line written is accounted for: sent, or dropped with a reason
    expect(t.linesSent + t.linesDropped).toBeGreaterThanOrEqual(t.metrics);
  }, 90_000);
});

describe.skipIf(!up)('Graphite events', () => {
  it('annotate() posts an event that /events/get_data returns', { timeout: 30_000 }, async () => {
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      carbon: { interval: 1000 },
      // graphite-web (Django dev server, SQLite) can be slow while carbon registers other tests' new series
      graphiteWeb: { url: WEB_URL, timeout: 20_000 },
      onError: (e) => errors.push(e),
    });
    const what = `deploy ${testPrefix('event')}`;
    const tag = `statskit_${process.pid}_${Date.now().toString(36)}`;
    const when = Math.floor(Date.now() / 1000) - 30;
    expect(await stats.annotate(what, { tags: [tag, 'deploy'], data: 'v1.2.3', when })).toBe(true);
    const res = await fetch(`${WEB_URL}/events/get_data?tags=${tag}&from=-1h`);
    const events = (await res.json()) as Array<{ what: string; tags: string[]; data: string; when: number }>;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ what, data: 'v1.2.3', when });
    expect(events[0]?.tags).toEqual(expect.arrayContaining([tag, 'deploy']));
    expect(errors).toEqual([]);
    await stats.close();
  });

  it('graphite-web down: a coded error, no throw; a burst is bounded', async () => {
    const port = await freePort('tcp');
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      carbon: { interval: 1000 },
      graphiteWeb: { url: `http://127.0.0.1:${port}`, timeout: 2000, maxPending: 50 },
      onError: (e) => errors.push(e),
    });
    expect(await stats.annotate('deploy')).toBe(false);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.EVENT_FAILED]);
    errors.length = 0;
    const burst: Array<Promise<boolean>> = [];
    for (let i = 0; i < 10_000; i++) burst.push(stats.annotate(`e${i}`));
    const results = await Promise.all(burst);
    expect(results.every((r) => r === false)).toBe(true);
    const codes = errors.map((e) => e.code);
    expect(codes.filter((c) => c === ErrorCodes.EVENT_FAILED)).toHaveLength(50);
    expect(codes.filter((c) => c === ErrorCodes.QUEUE_FULL)).toHaveLength(10_000 - 50);
    await stats.close();
  }, 30_000);
});
