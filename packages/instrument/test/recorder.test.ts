import { InvalidOptionError, MemoryTransport, StatsClient } from '@statskit/client';
import { createTestClient, type ParsedMetric, type TestStatsClient } from '@statskit/client/testing';
import {
  createRequestRecorder,
  type FinishedRequest,
  OVERFLOW_ROUTE_KEY,
  RequestContext,
  type RequestRecorderOptions,
  UNMATCHED_ROUTE_KEY,
} from '@statskit/instrument';
import { describe, expect, it, vi } from 'vitest';
import { startStatsd } from '../../client/test/helpers/statsd-daemon.js';

function setup(options: Omit<RequestRecorderOptions, 'client'> = {}, clientOptions = {}) {
  const stats = createTestClient(clientOptions);
  const recorder = createRequestRecorder({ client: stats, counterInterval: 0, ...options });
  return { stats, recorder };
}

const ok = (route: string | undefined, extra: Partial<FinishedRequest> = {}): FinishedRequest => ({
  method: 'GET',
  route,
  status: 200,
  durationMs: 12.3456789,
  ...extra,
});

function lines(stats: TestStatsClient): string[] {
  return stats.lines.map((l) => l);
}

function names(stats: TestStatsClient): string[] {
  return stats.metrics.map((m: ParsedMetric) => `${m.name}|${m.type}`);
}

describe('createRequestRecorder: names mode', () => {
  it('sends the catalogue for one request, durations rounded to the microsecond', () => {
    const { stats, recorder } = setup();
    recorder.record(ok('/users/:id'));
    expect(lines(stats)).toEqual([
      'http.view.users._id.GET:12.346|ms',
      'http.view.users._id.response.200:1|c',
      'http.view.users._id.response.2xx:1|c',
      'http.request:12.346|ms',
      'http.view.GET:12.346|ms',
      'http.response.200:1|c',
      'http.response.2xx:1|c',
    ]);
  });

  it('counts errors: an error object, or a 5xx status', () => {
    const { stats, recorder } = setup({ metrics: { aggregate: false } });
    recorder.record(ok('/a', { status: 418, error: new Error('x') }));
    recorder.record(ok('/b', { status: 503 }));
    recorder.record(ok('/c', { status: 499 }));
    recorder.record(ok('/d', { status: 404, error: null }));
    const errors = names(stats).filter((n) => n.includes('errors'));
    expect(errors).toEqual([
      'http.errors|c',
      'http.view.a.errors|c',
      'http.errors|c',
      'http.view.b.errors|c',
    ]);
  });

  it('sends per-request context totals per route and overall, only for kinds used', () => {
    const { stats, recorder } = setup({ metrics: { route: true, aggregate: true, errors: false } });
    const context = new RequestContext();
    context.add('db', 2);
    context.add('db', 3.5);
    recorder.record(ok('/r', { context }));
    recorder.record(ok('/r', { context: new RequestContext() }));
    expect(stats.lines.filter((l) => l.includes('db.'))).toEqual([
      'http.view.r.db.count:2|ms',
      'http.view.r.db.time:5.5|ms',
      'http.db.count:2|ms',
      'http.db.time:5.5|ms',
    ]);
  });

  it("per-request counts are timers by default on every server; countType 'h'/'d' follow the client's server dialect", () => {
    const sent = (countType?: 'ms' | 'h' | 'd', server?: 'etsy' | 'dogstatsd' | 'telegraf'): string[] => {
      const { stats, recorder } = setup(countType === undefined ? {} : { countType }, { server });
      const context = new RequestContext();
      context.add('cache', 1);
      recorder.record(ok('/r', { context }));
      return stats.lines.filter((l) => l.includes('cache.count'));
    };
    expect(sent()).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    expect(sent(undefined, 'etsy')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    expect(sent(undefined, 'telegraf')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    // no server named: the portable form, histograms and distributions as timers
    expect(sent('h')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    expect(sent('h', 'dogstatsd')).toEqual(['http.view.r.cache.count:1|h', 'http.cache.count:1|h']);
    expect(sent('h', 'etsy')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    expect(sent('ms')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    expect(sent('d')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
    expect(sent('d', 'dogstatsd')).toEqual(['http.view.r.cache.count:1|d', 'http.cache.count:1|d']);
    expect(sent('d', 'telegraf')).toEqual(['http.view.r.cache.count:1|h', 'http.cache.count:1|h']);
    expect(sent('d', 'etsy')).toEqual(['http.view.r.cache.count:1|ms', 'http.cache.count:1|ms']);
  });

  it('statusGrouping picks code, class or both', () => {
    for (const [grouping, want] of [
      ['code', ['http.view.a.response.201', 'http.response.201']],
      ['class', ['http.view.a.response.2xx', 'http.response.2xx']],
    ] as const) {
      const { stats, recorder } = setup({ statusGrouping: grouping });
      recorder.record(ok('/a', { status: 201 }));
      expect(stats.metrics.filter((m) => m.type === 'c').map((m) => m.name)).toEqual(want);
    }
  });

  it('metric groups switch off', () => {
    const { stats, recorder } = setup({
      metrics: { route: false, aggregate: false, errors: false, context: false },
    });
    const context = new RequestContext();
    context.add('db', 1);
    recorder.record(ok('/a', { status: 500, error: new Error('x'), context }));
    expect(stats.lines).toEqual([]);
  });

  it('uses the prefix after the client prefix; "" for none', () => {
    const a = setup({ prefix: 'web' }, { prefix: 'shop' });
    a.recorder.record(ok('/'));
    expect(a.stats.lines[0]).toBe('shop.web.view.root.GET:12.346|ms');
    const b = setup({ prefix: '' });
    b.recorder.record(ok(undefined));
    expect(b.stats.lines[0]).toBe(`view.${UNMATCHED_ROUTE_KEY}.GET:12.346|ms`);
  });

  it('reports unknown methods as OTHER and odd statuses safely', () => {
    const { stats, recorder } = setup({ metrics: { aggregate: false } });
    recorder.record(ok('/a', { method: 'BREW' }));
    recorder.record(ok('/a', { status: Number.NaN, durationMs: Number.NaN }));
    expect(lines(stats)).toEqual([
      'http.view.a.OTHER:12.346|ms',
      'http.view.a.response.200:1|c',
      'http.view.a.response.2xx:1|c',
      'http.view.a.GET:0|ms',
      'http.view.a.response.0:1|c',
      'http.view.a.response.0xx:1|c',
    ]);
    expect(stats.errors).toEqual([]);
  });
});

describe('createRequestRecorder: counters', () => {
  it('sums counters and sends one line per counter per interval', async () => {
    vi.useFakeTimers();
    try {
      const stats = createTestClient();
      const recorder = createRequestRecorder({ client: stats, metrics: { route: false } });
      for (let i = 0; i < 100; i++) recorder.record(ok('/a', { status: i < 90 ? 200 : 500 }));
      expect(stats.lines.filter((l) => l.endsWith('|c'))).toEqual([]);
      vi.advanceTimersByTime(1000);
      expect(stats.lines.filter((l) => l.endsWith('|c'))).toEqual([
        'http.response.200:90|c',
        'http.response.2xx:90|c',
        'http.response.500:10|c',
        'http.response.5xx:10|c',
        'http.errors:10|c',
      ]);
      stats.clear();
      vi.advanceTimersByTime(5000);
      expect(stats.lines).toEqual([]);
      recorder.record(ok('/a'));
      recorder.flush();
      expect(stats.lines.filter((l) => l.endsWith('|c'))).toEqual([
        'http.response.200:1|c',
        'http.response.2xx:1|c',
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('createRequestRecorder: nothing lost on close', () => {
  it('closing the client (not the recorder) writes the summed counters first', async () => {
    const stats = createTestClient();
    const recorder = createRequestRecorder({
      client: stats,
      metrics: { route: false },
      counterInterval: 60_000,
    });
    for (let i = 0; i < 7; i++) recorder.record(ok('/a'));
    expect(stats.lines.filter((l) => l.endsWith('|c'))).toEqual([]);
    await stats.close();
    expect(stats.lines.filter((l) => l.endsWith('|c'))).toEqual([
      'http.response.200:7|c',
      'http.response.2xx:7|c',
    ]);
    expect(stats.errors).toEqual([]);
  });

  it('client.flush() writes them too', async () => {
    const stats = createTestClient();
    const recorder = createRequestRecorder({
      client: stats,
      metrics: { route: false },
      counterInterval: 60_000,
    });
    recorder.record(ok('/a', { status: 404 }));
    await stats.flush();
    expect(stats.lines.filter((l) => l.endsWith('|c'))).toEqual([
      'http.response.404:1|c',
      'http.response.4xx:1|c',
    ]);
  });
});

describe('createRequestRecorder: tags mode', () => {
  it('puts route, method and status in tags on stable names', () => {
    const { stats, recorder } = setup({ mode: 'tags', tags: { svc: 'api' } });
    const context = new RequestContext();
    context.add('db', 4);
    recorder.record(ok('/users/:id', { context }));
    recorder.record(ok('/boom', { status: 500, error: new Error('x') }));
    expect(stats.lines).toEqual([
      'http.request:12.346|ms|#svc:api,method:GET,route:users._id,status:200,status_class:2xx',
      'http.db.count:1|ms|#svc:api,method:GET,route:users._id',
      'http.db.time:4|ms|#svc:api,method:GET,route:users._id',
      'http.request:12.346|ms|#svc:api,method:GET,route:boom,status:500,status_class:5xx',
      'http.errors:1|c|#svc:api,method:GET,route:boom,status:500,status_class:5xx',
    ]);
  });

  it('drops the route tag when the route group is off', () => {
    const { stats, recorder } = setup({ mode: 'tags', metrics: { route: false }, statusGrouping: 'class' });
    recorder.record(ok('/users/:id'));
    expect(stats.lines).toEqual(['http.request:12.346|ms|#method:GET,status_class:2xx']);
  });

  it('works with telegraf tags', () => {
    const { stats, recorder } = setup({ mode: 'tags' }, { tagFormat: 'telegraf' });
    recorder.record(ok('/x'));
    expect(stats.lines).toEqual(['http.request,method=GET,route=x,status=200,status_class=2xx:12.346|ms']);
  });
});

describe('createRequestRecorder: routes', () => {
  it('asks routeTags once per route and method, and survives a throwing one', () => {
    const routeTags = vi.fn((r: { key: string; method: string }) => {
      if (r.key === 'bad') throw new Error('nope');
      return { team: r.key === 'users._id' ? 'accounts' : 'other' };
    });
    const { stats, recorder } = setup({ routeTags, metrics: { aggregate: false } });
    for (let i = 0; i < 10; i++) recorder.record(ok('/users/:id'));
    recorder.record(ok('/users/:id', { method: 'POST' }));
    recorder.record(ok('/bad'));
    expect(routeTags).toHaveBeenCalledTimes(3);
    expect(stats.metrics.find((m) => m.name === 'http.view.users._id.GET')?.tags).toEqual({
      team: 'accounts',
    });
    expect(stats.metrics.find((m) => m.name === 'http.view.bad.GET')?.tags).toEqual({});
  });

  it('100 000 unmatched requests add no name', () => {
    const { stats, recorder } = setup();
    for (let i = 0; i < 100_000; i++) {
      recorder.record(ok(undefined, { status: 404 }));
      if (i % 10_000 === 0) stats.clear();
    }
    expect(new Set(stats.metrics.map((m) => m.name))).toEqual(
      new Set([
        'http.view.__unmatched__.GET',
        'http.view.__unmatched__.response.404',
        'http.view.__unmatched__.response.4xx',
        'http.request',
        'http.view.GET',
        'http.response.404',
        'http.response.4xx',
      ]),
    );
  });

  it('puts routes past maxRoutes under __overflow__', () => {
    const { stats, recorder } = setup({ maxRoutes: 5, metrics: { aggregate: false } });
    for (let i = 0; i < 50; i++) recorder.record(ok(`/r${i}`));
    const keys = new Set(
      stats.metrics.filter((m) => m.type === 'ms').map((m) => m.name.split('.').slice(2, -1).join('.')),
    );
    expect(keys).toEqual(new Set(['r0', 'r1', 'r2', 'r3', 'r4', OVERFLOW_ROUTE_KEY]));
    expect(recorder.routeKey('/r0')).toBe('r0');
    expect(recorder.routeKey('/r40')).toBe(OVERFLOW_ROUTE_KEY);
    expect(recorder.routeKey(undefined)).toBe(UNMATCHED_ROUTE_KEY);
  });

  it('never throws, even on garbage', () => {
    const { recorder } = setup();
    expect(() => recorder.record({} as FinishedRequest)).not.toThrow();
    expect(() =>
      recorder.record({ method: 'GET', route: 42 as unknown as string, status: 200, durationMs: 1 }),
    ).not.toThrow();
  });
});

describe('createRequestRecorder: options', () => {
  it.each([
    [{ client: {} }],
    [{ prefix: 1 }],
    [{ mode: 'labels' }],
    [{ statusGrouping: 'all' }],
    [{ metrics: { routes: true } }],
    [{ metrics: { route: 'yes' } }],
    [{ maxRoutes: 0 }],
    [{ counterInterval: -1 }],
    [{ routeTags: 'x' }],
    [{ tags: 'env:prod' }],
    [{ countType: 'c' }],
  ])('rejects %j', (bad) => {
    const client = new StatsClient({
      transport: { send() {}, flush: async () => {}, close: async () => {} },
    });
    expect(() => createRequestRecorder({ client, ...bad } as unknown as RequestRecorderOptions)).toThrow(
      InvalidOptionError,
    );
  });
});

describe('status and error counters with an aggregating client', () => {
  it("the client's aggregation sums them (counterInterval defaults to 0); a raw client keeps the recorder's summing", async () => {
    const memory = new MemoryTransport();
    const stats = new StatsClient({ transport: memory, batching: false });
    expect(stats.aggregating).toBe(true);
    const recorder = createRequestRecorder({ client: stats });
    for (let i = 0; i < 3; i++) recorder.record(ok('/r', { status: 500, error: new Error('x') }));
    // handed to the client at once (not held by the recorder), folded there: nothing on the wire yet
    expect(stats.telemetry().aggregated).toBeGreaterThanOrEqual(3 * 4);
    await stats.flush();
    const sent = memory.lines.filter((l) => l.includes('|c'));
    expect(sent).toContain('http.view.r.response.500:3|c');
    expect(sent).toContain('http.errors:3|c');
    await stats.close();
    // a raw client: the recorder sums for 1 s as before
    const raw = createTestClient();
    expect(raw.aggregating).toBe(false);
    const r2 = createRequestRecorder({ client: raw });
    for (let i = 0; i < 3; i++) r2.record(ok('/r', { status: 500 }));
    expect(raw.lines.filter((l) => l.includes('|c'))).toEqual([]);
    await raw.flush();
    expect(raw.lines).toContain('http.errors:3|c');
  });
});

describe('per-request counts on the real etsy statsd daemon', () => {
  it('default recorder options: requests with 1, 2 and 3 queries aggregate like a timer: count 3, mean 2, upper 3', async () => {
    await using daemon = await startStatsd({ flushInterval: 200 });
    // default client options: the portable wire, which the etsy daemon reads
    const client = new StatsClient({ port: daemon.udpPort, prefix: 'etsy' });
    try {
      const recorder = createRequestRecorder({ client, counterInterval: 0, metrics: { aggregate: false } });
      // all three in one daemon flush interval
      await daemon.nextFlush();
      for (const queries of [1, 2, 3]) {
        const context = new RequestContext();
        for (let i = 0; i < queries; i++) context.add('db', 1);
        recorder.record(ok('/users/:id', { context }));
      }
      await client.flush();
      const path = 'stats.timers.etsy.http.view.users._id.db.count';
      expect(await daemon.waitForValue(`${path}.count`)).toBe(3);
      const flush = daemon.flushes.find((f) => f.get(`${path}.count`) === 3);
      expect(flush?.get(`${path}.mean`)).toBe(2);
      expect(flush?.get(`${path}.upper`)).toBe(3);
      expect(flush?.get(`${path}.lower`)).toBe(1);
      // and not a counter summing them to 6
      expect(daemon.sum('stats.counters.etsy.http.view.users._id.db.count.count')).toBe(0);
    } finally {
      await client.close();
    }
  }, 20_000);
});
describe('createRequestRecorder: body sizes (sizes: true)', () => {
  it('names mode: request.bytes / response.bytes per route and overall, as timers (|ms)', () => {
    const { stats, recorder } = setup({ sizes: true });
    recorder.record(ok('/upload', { method: 'POST', requestBytes: 1024, responseBytes: 17 }));
    const sizes = lines(stats).filter((l) => l.includes('.bytes:'));
    expect(sizes).toEqual([
      'http.view.upload.request.bytes:1024|ms',
      'http.view.upload.response.bytes:17|ms',
      'http.request.bytes:1024|ms',
      'http.response.bytes:17|ms',
    ]);
  });

  it('tags mode: request.bytes / response.bytes tagged like request', () => {
    const { stats, recorder } = setup({ sizes: true, mode: 'tags' });
    recorder.record(ok('/upload', { requestBytes: 0, responseBytes: 5 }));
    expect(lines(stats).filter((l) => l.includes('.bytes:'))).toEqual([
      'http.request.bytes:0|ms|#method:GET,route:upload,status:200,status_class:2xx',
      'http.response.bytes:5|ms|#method:GET,route:upload,status:200,status_class:2xx',
    ]);
  });

  it('off by default; unknown or invalid sizes are not sent', () => {
    const off = setup();
    off.recorder.record(ok('/a', { requestBytes: 10, responseBytes: 10 }));
    expect(lines(off.stats).some((l) => l.includes('bytes'))).toBe(false);
    const on = setup({ sizes: true });
    on.recorder.record(ok('/a', { requestBytes: undefined, responseBytes: Number.NaN }));
    on.recorder.record(ok('/a', { requestBytes: -1, responseBytes: Number.POSITIVE_INFINITY }));
    expect(lines(on.stats).some((l) => l.includes('bytes'))).toBe(false);
    expect(() => setup({ sizes: 'yes' as unknown as boolean })).toThrow(InvalidOptionError);
  });
});

describe('createRequestRecorder: per-request tags', () => {
  it("adds the request's tags to each of its metrics; counts with tags are sent at once", () => {
    const { stats, recorder } = createRequestRecorderWithInterval();
    const ctx = new RequestContext();
    ctx.add('db', 3);
    recorder.record(ok('/t', { tags: { tenant: 'acme' }, status: 500, context: ctx }));
    recorder.record(ok('/t'));
    const tagged = stats.metrics.filter((m) => m.tags['tenant'] === 'acme').map((m) => `${m.name}|${m.type}`);
    expect(tagged).toEqual([
      'http.view.t.GET|ms',
      'http.view.t.response.500|c',
      'http.view.t.response.5xx|c',
      'http.request|ms',
      'http.view.GET|ms',
      'http.response.500|c',
      'http.response.5xx|c',
      'http.errors|c',
      'http.view.t.errors|c',
      'http.view.t.db.count|ms',
      'http.view.t.db.time|ms',
      'http.db.count|ms',
      'http.db.time|ms',
    ]);
    // The untagged request's counters are still summed (nothing sent before the flush).
    expect(stats.metrics.filter((m) => m.type === 'c' && m.tags['tenant'] === undefined)).toEqual([]);
    recorder.flush();
    expect(lines(stats)).toContain('http.view.t.response.200:1|c');
  });
});

function createRequestRecorderWithInterval() {
  const stats = createTestClient();
  const recorder = createRequestRecorder({ client: stats, counterInterval: 60_000 });
  return { stats, recorder };
}
