/**
 * The same calls through the real hot-shots and through `@statskit/client/hot-shots`, each to its own
 * loopback UDP receiver: the lines received must be identical, for every case where hot-shots' output is
 * well-formed (not NaN values, not raw newlines in event titles, which statskit refuses or escapes).
 */
import StatsD from '@statskit/client/hot-shots';
import HotShots from 'hot-shots';
import { describe, expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

/** The shared surface of both classes that the cases use. */
type Client = Pick<
  StatsD,
  | 'increment'
  | 'decrement'
  | 'timing'
  | 'histogram'
  | 'distribution'
  | 'gauge'
  | 'gaugeDelta'
  | 'set'
  | 'unique'
  | 'event'
  | 'check'
  | 'CHECKS'
> & { childClient(o: object): Client; close(cb?: () => void): void };

type Options = Record<string, unknown>;

const cases: [string, Options, (c: Client) => void][] = [
  [
    'every metric type, prefix and suffix without dots, object global tags',
    { prefix: 'app', suffix: 'sfx', globalTags: { env: 'prod', region: 'eu' } },
    (c) => {
      c.increment('a');
      c.increment('b', 5);
      c.decrement('c');
      c.decrement('d', 3);
      c.timing('e', 12.5);
      c.histogram('f', 3);
      c.distribution('g', 4);
      c.gauge('h', 1.5);
      c.gauge('neg', -5);
      c.gaugeDelta('i', 2);
      c.gaugeDelta('j', -2);
      c.set('k', 'member');
      c.unique('l', 7);
    },
  ],
  [
    'argument forms: value left out, tags array and object, options object, stat arrays, timestamps',
    {},
    (c) => {
      c.increment('a', ['x:1']);
      c.increment('b', { y: 2 });
      c.increment('c', 1, 0.99999999999, ['t']);
      c.gauge('d', 42, { sampleRate: 0.99999999999, tags: ['foo', 'bar'] });
      c.increment(['e1', 'e2'], 2);
      c.gauge('f', 42, { timestamp: new Date('2022-01-01') });
      c.increment('g', 1, { timestamp: 1640995200 });
      c.decrement('h', -2);
    },
  ],
  [
    'repeated global tag keys kept, a per-call tag replaces all of its key',
    { globalTags: ['a:1', 'a:2', 'b:1', 'flag'] },
    (c) => {
      c.increment('x');
      c.increment('y', 1, ['a:9']);
      c.histogram('z', 1, { b: 'q' });
    },
  ],
  [
    'tagPrefix and tagSeparator',
    { tagPrefix: '@', tagSeparator: ';', globalTags: { a: 1 } },
    (c) => {
      c.increment('x', 1, ['b']);
      c.event('e', 'x', {}, ['q']);
      c.check('c', 1, {}, ['q']);
    },
  ],
  [
    'Telegraf',
    { telegraf: true, globalTags: ['a=1', 'b:2'] },
    (c) => {
      c.increment('x', 1, ['c=3']);
      c.gauge('g', -5, ['k=v']);
      c.set('s', 'm');
    },
  ],
  [
    'events and checks: prefixed, every option, dates rounded',
    { prefix: 'p', suffix: 's', globalTags: ['g'] },
    (c) => {
      c.event(
        'ti',
        'te',
        {
          date_happened: new Date(1_700_000_000_600),
          hostname: 'h',
          aggregation_key: 'k',
          priority: 'low',
          source_type_name: 'src',
          alert_type: 'error',
        },
        ['e:1'],
      );
      c.event('only');
      c.check(
        'svc.up',
        c.CHECKS.OK,
        { date_happened: new Date(1_700_000_000_400), hostname: 'h', message: 'm' },
        ['c:1'],
      );
    },
  ],
  [
    'child clients: prefix before the parent, suffix after, tags replaced by key, nested',
    { prefix: 'p.', suffix: '.s', globalTags: { a: 'x', keep: 'me' } },
    (c) => {
      const child = c.childClient({ prefix: 'c', suffix: 'cs', globalTags: ['a:y', 'z'] });
      child.increment('n', 2, ['q:1']);
      child.childClient({ prefix: 'gc.' }).increment('m');
    },
  ],
  [
    'sanitization of names and tags as documented',
    {},
    (c) => {
      c.increment('a:b|c\nd', 1, ['k|x:v,w', 'x@y#z:1', 'url:https://e.com:8080']);
    },
  ],
];

async function linesFrom(make: (port: number) => Client, drive: (c: Client) => void, expected: number) {
  const rx = await udpReceiver();
  const c = make(rx.port);
  drive(c);
  await rx.waitForLines(expected);
  await new Promise<void>((resolve) => c.close(() => resolve()));
  await rx.close();
  return rx.lines;
}

describe('same calls, same lines as hot-shots 17', () => {
  test.each(cases)('%s', async (_name, options, drive) => {
    const base = { host: '127.0.0.1', includeDataDogTags: false, datadog: false, ...options };
    const hsRx = await udpReceiver();
    const hs = new HotShots({ ...base, port: hsRx.port } as ConstructorParameters<typeof HotShots>[0]);
    drive(hs as unknown as Client);
    await new Promise((r) => setTimeout(r, 100));
    await new Promise<void>((resolve) => hs.close(() => resolve()));
    await hsRx.close();
    const theirs = hsRx.lines;
    expect(theirs.length).toBeGreaterThan(0);
    const { datadog: _, ...ours } = base;
    const mine = await linesFrom(
      (port) => new StatsD({ ...ours, port }) as unknown as Client,
      drive,
      theirs.length,
    );
    expect(mine).toEqual(theirs);
  });
});
