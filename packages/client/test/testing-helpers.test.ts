/** `@statskit/client/testing`: the memory client, the line parser and the vitest/jest matchers. */
import { StatsClient } from '@statskit/client';
import {
  createTestClient,
  findMetrics,
  MemoryTransport,
  parseLine,
  parsePacket,
  type StatsMatchers,
  statsMatchers,
  TestStatsClient,
} from '@statskit/client/testing';
import { beforeAll, describe, expect, test } from 'vitest';

declare module 'vitest' {
  // biome-ignore lint/suspicious/noExplicitAny: must repeat vitest's own declaration to merge with it
  interface Matchers<T = any> extends StatsMatchers<T> {}
}

beforeAll(() => {
  expect.extend(statsMatchers);
});

describe('toHaveSentMetric', () => {
  test('passes on a match by name, type, value, rate and a subset of tags', () => {
    const stats = createTestClient({ prefix: 'app', tags: { env: 'test' }, random: () => 0 });
    stats.incr('hits', 2, { tags: { route: '/a' }, rate: 0.5 });
    expect(stats).toHaveSentMetric('app.hits');
    expect(stats).toHaveSentMetric('app.hits', { type: 'c' });
    expect(stats).toHaveSentMetric('app.hits', { type: 'c', value: 2, rate: 0.5 });
    expect(stats).toHaveSentMetric('app.hits', { tags: { route: '/a' } });
    expect(stats).toHaveSentMetric('app.hits', { tags: { route: '/a', env: 'test' } });
  });

  test.each([
    ['another name', 'app.miss', {}],
    ['the name without its prefix', 'hits', {}],
    ['another type', 'app.hits', { type: 'g' }],
    ['another value', 'app.hits', { value: 3 }],
    ['another rate', 'app.hits', { rate: 0.1 }],
    ['a tag with another value', 'app.hits', { tags: { route: '/b' } }],
    ['a tag it does not have', 'app.hits', { tags: { extra: 'x' } }],
  ] as const)('fails on %s, listing what was sent', (_label, name, match) => {
    const stats = createTestClient({ prefix: 'app' });
    stats.incr('hits', 2, { tags: { route: '/a' } });
    expect(stats).not.toHaveSentMetric(name, match);
    expect(() => expect(stats).toHaveSentMetric(name, match)).toThrow(
      new RegExp(`expected metric ${name.replace('.', '\\.')}[^]*app\\.hits:2\\|c\\|#route:/a`),
    );
  });

  test('.not fails when the metric was sent', () => {
    const stats = createTestClient();
    stats.gauge('g', 5);
    expect(() => expect(stats).not.toHaveSentMetric('g', { value: 5 })).toThrow(/expected no metric g/);
  });

  test('says so when nothing was sent', () => {
    const stats = createTestClient();
    expect(() => expect(stats).toHaveSentMetric('x')).toThrow(/nothing was sent/);
  });

  test('a delta gauge and a set member', () => {
    const stats = createTestClient();
    stats.gaugeDelta('g', -3);
    stats.set('users', 'u1');
    expect(stats).toHaveSentMetric('g', { type: 'g', value: -3 });
    expect(stats).toHaveSentMetric('users', { type: 's', value: 'u1' });
    expect(stats).not.toHaveSentMetric('users', { value: 'u2' });
  });

  test('works on a MemoryTransport given to a plain StatsClient (batched: after flush)', async () => {
    const memory = new MemoryTransport();
    const stats = new StatsClient({ transport: memory, flushInterval: 60_000 });
    stats.timing('t', 5);
    expect(memory).not.toHaveSentMetric('t');
    await stats.flush();
    expect(memory).toHaveSentMetric('t', { type: 'ms', value: 5 });
    expect(memory.packets).toEqual(['t:5|ms']);
    await stats.close();
    expect(memory.closed).toBe(true);
  });

  test('anything else is a TypeError, not a silent pass', () => {
    expect(() => expect({ lines: ['a:1|c'] }).toHaveSentMetric('a')).toThrow(TypeError);
    expect(() => expect(new StatsClient({ transport: new MemoryTransport() })).toHaveSentMetric('a')).toThrow(
      /expect a TestStatsClient/,
    );
  });
});

describe('toHaveSentMetricTimes', () => {
  test('counts matching lines exactly', () => {
    const stats = createTestClient();
    stats.incr('a');
    stats.incr('a', 1, { tags: { k: 'v' } });
    stats.incr('a', 2);
    stats.incr('b');
    expect(stats).toHaveSentMetricTimes('a', 3);
    expect(stats).toHaveSentMetricTimes('a', 2, { value: 1 });
    expect(stats).toHaveSentMetricTimes('a', 1, { tags: { k: 'v' } });
    expect(stats).toHaveSentMetricTimes('c', 0);
    expect(stats).not.toHaveSentMetricTimes('a', 2);
  });

  test('fails with the count it found', () => {
    const stats = createTestClient();
    stats.incr('a');
    stats.incr('a');
    expect(() => expect(stats).toHaveSentMetricTimes('a', 3)).toThrow(/expected metric a 3 times, found 2/);
    expect(() => expect(stats).toHaveSentMetricTimes('a', 1)).toThrow(/found 2/);
    expect(() => expect(stats).not.toHaveSentMetricTimes('a', 2)).toThrow();
  });

  test('a negative gauge is two lines', () => {
    const stats = createTestClient();
    stats.gauge('g', -4);
    expect(stats).toHaveSentMetricTimes('g', 2);
    expect(stats).toHaveSentMetricTimes('g', 1, { value: 0 });
    expect(stats).toHaveSentMetricTimes('g', 1, { value: -4 });
  });
});

describe('the test client', () => {
  test('unbatched by default: every call is visible at once; batching on request', async () => {
    const direct = createTestClient();
    direct.incr('a');
    direct.incr('b');
    expect(direct.memory.packets).toEqual(['a:1|c', 'b:1|c']);
    const batched = createTestClient({ batching: true, flushInterval: 60_000 });
    batched.incr('a');
    batched.incr('b');
    expect(batched.lines).toEqual([]);
    await batched.flush();
    expect(batched.memory.packets).toEqual(['a:1|c\nb:1|c']);
    await batched.close();
  });

  test('collects errors and still calls the user onError', () => {
    const seen: string[] = [];
    const stats = createTestClient({ onError: (e) => seen.push(e.code) });
    stats.incr('');
    expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_NAME']);
    expect(seen).toEqual(['STATSKIT_ERR_INVALID_NAME']);
  });

  test('metrics are parsed in the client tag format; clear() forgets lines and errors', () => {
    const stats = createTestClient({ tagFormat: 'telegraf', tags: { env: 'x' } });
    stats.incr('a');
    stats.incr('');
    expect(stats).toBeInstanceOf(TestStatsClient);
    expect(stats.metrics).toEqual([
      { name: 'a', type: 'c', value: 1, delta: false, rate: 1, tags: { env: 'x' }, raw: 'a,env=x:1|c' },
    ]);
    expect(findMetrics(stats, 'a', { tags: { env: 'x' } })).toHaveLength(1);
    stats.clear();
    expect(stats.lines).toEqual([]);
    expect(stats.errors).toEqual([]);
  });

  test('telemetry counts what the memory transport took', () => {
    const stats = createTestClient();
    stats.incr('a');
    stats.gauge('g', -1);
    expect(stats.telemetry()).toMatchObject({ metrics: 3, packetsSent: 2, linesSent: 3 });
  });
});

describe('parseLine / parsePacket', () => {
  test.each([
    ['a:1|c', 'datadog', { name: 'a', type: 'c', value: 1, rate: 1, tags: {}, delta: false }],
    ['a.b:-2.5|g', 'datadog', { name: 'a.b', type: 'g', value: -2.5, delta: true }],
    ['a:+3|g', 'datadog', { type: 'g', value: 3, delta: true }],
    ['a:3|g', 'datadog', { type: 'g', value: 3, delta: false }],
    [
      't:12.5|ms|@0.1|#k:v,flag',
      'datadog',
      { type: 'ms', value: 12.5, rate: 0.1, tags: { k: 'v', flag: true } },
    ],
    ['u:abc|s', 'datadog', { type: 's', value: 'abc' }],
    ['c:1|c|T1700000000', 'datadog', { timestamp: 1_700_000_000 }],
    ['a,k=v,x=y:1|c', 'telegraf', { name: 'a', tags: { k: 'v', x: 'y' } }],
    ['a;k=v;x=y:1|h', 'graphite', { name: 'a', type: 'h', tags: { k: 'v', x: 'y' } }],
    ['a:1|d', 'none', { name: 'a', type: 'd' }],
  ] as const)('%s (%s)', (line, format, expected) => {
    expect(parseLine(line, format)).toMatchObject({ ...expected, raw: line });
  });

  test.each([
    '',
    'a',
    ':1|c',
    'a:1',
    'a:|c',
    'a:1|x',
    'a:x|c',
    'a: 1|c',
    'a:1|c|@0',
    'a:1|c|@2',
    'a:1|c|bogus',
    'a:NaN|c',
    'a:Infinity|g',
    'a:1|c\nb:1|c',
  ])('malformed: %j → undefined', (line) => {
    expect(parseLine(line)).toBeUndefined();
  });

  test('parsePacket keeps malformed lines as undefined entries', () => {
    expect(parsePacket('a:1|c\nbroken\nb:2|ms').map((m) => m?.name)).toEqual(['a', undefined, 'b']);
  });
});
