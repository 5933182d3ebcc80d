/**
 * Issue 26 (client half): a tagged call whose tag set was seen before must not re-read, re-sanitise and
 * re-join it. Each client keeps a cache of tag sets keyed on their content (read once per call, compared
 * with the cached copies), bounded like the name cache. What a user observes must not change: the bytes
 * on the wire for every tag format, a tag object mutated between calls, getters and Proxies, errors
 * reported on every call, onError and getters that send tagged metrics through the same client, and
 * aggregation by (name, tag set).
 */
import {
  type ClientOptions,
  StatsClient,
  type StatsError,
  type TagFormat,
  type Transport,
} from '@statskit/client';
import { createTestClient, parseLine } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';
import { resolveTags, TagWriter } from '../../src/protocol/tags.js';
import { TagSets } from '../../src/tag-sets.js';

/** A client whose packets are recorded, each checked against the byte count the client computed. */
function recorded(options: ClientOptions) {
  const packets: string[] = [];
  const badCounts: string[] = [];
  const errors: StatsError[] = [];
  const transport: Transport = {
    send(packet, bytes) {
      packets.push(packet);
      if (Buffer.byteLength(packet) !== bytes) badCounts.push(`${bytes} != ${Buffer.byteLength(packet)}`);
    },
    flush: async () => {},
    close: async () => {},
  };
  const stats = new StatsClient({ ...options, transport, onError: (e) => errors.push(e) });
  const lines = () => packets.flatMap((p) => p.split('\n'));
  return { stats, packets, badCounts, errors, lines };
}

const FORMATS: TagFormat[] = ['datadog', 'telegraf', 'graphite', 'none'];

/** Tag sets in the shapes the cache takes, with what must be sanitised, skipped or split. */
const SETS: [string, () => unknown][] = [
  ['object of strings', () => ({ method: 'GET', status: '200', region: 'eu-west-1' })],
  ['array of strings', () => ['method:GET', 'status:200', 'flag', 'env=prod']],
  [
    'numbers, true, false, null, undefined',
    () => ({ n: 42, f: 1.5, on: true, off: false, x: null, u: undefined }),
  ],
  ['reserved characters', () => ({ 'a|b': 'c,d', 'e f': 'g=h', 'i;j': 'k:l\nm', '#@': '~!^' })],
  ['non-ASCII and a lone surrogate', () => ({ città: 'Zürich', emoji: '😀', bad: '\ud800x' })],
  ['the client tag overridden', () => ({ env: 'staging', route: '/a' })],
  ['array overriding the client tag', () => ['env:dev', 'route:/b']],
  ['integer-like keys', () => ({ 2: 'two', 1: 'one', b: 'bee' })],
  ['__proto__ as an own key', () => JSON.parse('{"__proto__": "p", "k": "v"}') as unknown],
];

/** Every way a call's line is written: raw, default aggregation (timers still raw), multi-value, batched. */
const MODES: [string, ClientOptions][] = [
  ['raw, one packet per line', { aggregate: false, batching: false }],
  ['raw, batched', { aggregate: false }],
  ['default options', {}],
  ["server: 'dogstatsd' (multi-value timers)", { server: 'dogstatsd' }],
];

/**
 * The same tags as a Map, which the cache never takes (the TagWriter reads it as before): an array's
 * `k:v` split where the format splits it (`=` too for Telegraf and Graphite), a flag as `true`.
 */
function asMap(tags: unknown, tagFormat: TagFormat): Map<string, unknown> {
  const m = new Map<string, unknown>();
  if (Array.isArray(tags)) {
    for (const t of tags as string[]) {
      const colon = t.indexOf(':');
      const eq = tagFormat === 'telegraf' || tagFormat === 'graphite' ? t.indexOf('=') : -1;
      const at = eq !== -1 && (colon === -1 || eq < colon) ? eq : colon;
      if (at === -1) m.set(t, true);
      else m.set(t.slice(0, at), t.slice(at + 1));
    }
  } else for (const k of Object.keys(tags as object)) m.set(k, (tags as Record<string, unknown>)[k]);
  return m;
}

describe.each(FORMATS)(
  'tagFormat %s: cache hits write exactly what the uncached path writes',
  (tagFormat) => {
    test.each(MODES)('%s', async (_mode, options) => {
      const o: ClientOptions = {
        ...options,
        tagFormat,
        prefix: 'app',
        tags: { env: 'prod', svc: 'api' },
        maxPacketSize: 512,
      };
      const cached = recorded(o);
      const reference = recorded(o);
      for (const [, make] of SETS) {
        const same = make();
        for (let i = 0; i < 3; i++) {
          // the same object twice, then the same content in a new object
          const tags = (i < 2 ? same : make()) as Record<string, string>;
          const ref = asMap(tags, tagFormat) as unknown as Record<string, string>;
          for (const [c, t] of [
            [cached, tags],
            [reference, ref],
          ] as const) {
            c.stats.timing('db.query', 1 + i, { tags: t });
            c.stats.incr('hits', 1, { tags: t });
            c.stats.gauge('level', -3 - i, { tags: t });
            c.stats.set('users', `u${i}`, { tags: t });
          }
        }
      }
      await Promise.all([cached.stats.close(), reference.stats.close()]);
      expect(cached.lines()).toEqual(reference.lines());
      expect(cached.lines().length).toBeGreaterThan(3);
      expect(cached.badCounts).toEqual([]);
      expect(cached.errors.map((e) => e.code)).toEqual(reference.errors.map((e) => e.code));
    });
  },
);

describe.each<TagFormat>(['datadog', 'telegraf', 'graphite'])(
  'tagFormat %s: content, not identity',
  (tagFormat) => {
    test('one tag object mutated between calls: every line carries what it holds at that call', () => {
      const stats = createTestClient({ tagFormat, tags: { svc: 'api' } });
      const tags: Record<string, string | number | boolean> = { route: '/a', status: '200' };
      stats.timing('t', 1, { tags });
      stats.timing('t', 2, { tags }); // a hit
      tags.status = '500';
      stats.timing('t', 3, { tags });
      tags.extra = 'yes';
      stats.timing('t', 4, { tags });
      delete tags.extra;
      tags.route = '/b';
      stats.timing('t', 5, { tags });
      tags.route = false; // skipped, as a false value always was
      stats.timing('t', 6, { tags });
      tags.route = '/a';
      tags.status = '200';
      stats.timing('t', 7, { tags }); // the first set again
      expect(stats.metrics.map((m) => [m.value, m.tags])).toEqual([
        [1, { svc: 'api', route: '/a', status: '200' }],
        [2, { svc: 'api', route: '/a', status: '200' }],
        [3, { svc: 'api', route: '/a', status: '500' }],
        [4, { svc: 'api', route: '/a', status: '500', extra: 'yes' }],
        [5, { svc: 'api', route: '/b', status: '500' }],
        [6, { svc: 'api', status: '500' }],
        [7, { svc: 'api', route: '/a', status: '200' }],
      ]);
      expect(stats.errors).toEqual([]);
    });

    test('an array mutated between calls, and a number value changed', () => {
      const stats = createTestClient({ tagFormat });
      const arr = ['a:1', 'b:2'];
      const obj = { n: 1 };
      for (let i = 0; i < 3; i++) {
        arr[1] = `b:${i}`;
        obj.n = i;
        stats.incr('c', 1, { tags: arr });
        stats.incr('d', 1, { tags: obj });
      }
      expect(stats.metrics.map((m) => [m.name, m.tags])).toEqual([
        ['c', { a: '1', b: '0' }],
        ['d', { n: '0' }],
        ['c', { a: '1', b: '1' }],
        ['d', { n: '1' }],
        ['c', { a: '1', b: '2' }],
        ['d', { n: '2' }],
      ]);
    });

    test('a getter and a Proxy answering differently each call: read once per call, never stale', () => {
      const stats = createTestClient({ tagFormat });
      let reads = 0;
      const withGetter = {
        fixed: 'x',
        get n(): string {
          reads++;
          return String(reads % 2);
        },
      };
      let gets = 0;
      const proxy = new Proxy({ k: 'v' } as Record<string, string>, {
        get(target, key) {
          gets++;
          return key === 'k' ? `v${gets}` : target[key as string];
        },
      });
      for (let i = 0; i < 4; i++) {
        stats.timing('g', i, { tags: withGetter });
        stats.timing('p', i, { tags: proxy });
      }
      expect(reads).toBe(4);
      expect(gets).toBe(4);
      expect(stats.metrics.filter((m) => m.name === 'g').map((m) => m.tags.n)).toEqual(['1', '0', '1', '0']);
      expect(stats.metrics.filter((m) => m.name === 'p').map((m) => m.tags.k)).toEqual([
        'v1',
        'v2',
        'v3',
        'v4',
      ]);
    });
  },
);

describe('problems are reported on every call (a set that reports is never cached)', () => {
  test.each<TagFormat>(['datadog', 'telegraf', 'graphite'])('%s', (tagFormat) => {
    const stats = createTestClient({ tagFormat });
    const bad = { ok: 'yes', nested: {} as unknown as string };
    const empty = tagFormat === 'datadog' ? { '': 'v' } : { k: '' };
    const arr = ['ok:1', 7 as unknown as string, ''];
    let throws = 0;
    const throwing = {
      get boom(): string {
        throws++;
        throw new Error('getter');
      },
    };
    for (let i = 0; i < 3; i++) {
      stats.incr('a', 1, { tags: bad });
      stats.incr('b', 1, { tags: empty });
      stats.incr('c', 1, { tags: arr });
      stats.incr('d', 1, { tags: throwing });
    }
    expect(throws).toBe(3);
    // per round: a's nested value, b's empty tag, c's two bad elements, d's getter
    expect(stats.errors.map((e) => e.code)).toEqual(Array(15).fill('STATSKIT_ERR_INVALID_TAG'));
    const byName = (n: string) => stats.metrics.filter((m) => m.name === n).map((m) => m.tags);
    expect(byName('a')).toEqual(Array(3).fill({ ok: 'yes' }));
    expect(byName('b')).toEqual(Array(3).fill({}));
    expect(byName('c')).toEqual(Array(3).fill({ ok: '1' }));
    expect(byName('d')).toEqual(Array(3).fill({}));
  });
});

describe.each<TagFormat>(['datadog', 'telegraf', 'graphite'])(
  '%s: re-entrancy with a warm cache',
  (tagFormat) => {
    test('a getter sends a tagged metric through the same client while its (cached-content) set is read', () => {
      const stats = createTestClient({ tagFormat, tags: { svc: 'api' } });
      stats.timing('db.query', 1, { tags: { table: 'users', op: 'select' } }); // the content, cached
      stats.incr('tag.read', 1, { tags: { field: 'op' } });
      let reads = 0;
      const tags = {
        table: 'users',
        get op(): string {
          reads++;
          if (reads === 1) stats.incr('tag.read', 1, { tags: { field: 'op' } });
          return 'select';
        },
      };
      stats.timing('db.query', 2, { tags });
      stats.timing('db.query', 3, { tags });
      expect(stats.errors).toEqual([]);
      expect(stats.metrics.filter((m) => m.name === 'db.query').map((m) => [m.value, m.tags])).toEqual([
        [1, { svc: 'api', table: 'users', op: 'select' }],
        [2, { svc: 'api', table: 'users', op: 'select' }],
        [3, { svc: 'api', table: 'users', op: 'select' }],
      ]);
      for (const m of stats.metrics.filter((x) => x.name === 'tag.read')) {
        expect(m.tags).toEqual({ svc: 'api', field: 'op' });
      }
      for (const line of stats.lines) expect(parseLine(line, tagFormat)).toBeDefined();
    });

    test('onError sends a tagged metric through the same client while a bad set is resolved', () => {
      let stats: ReturnType<typeof createTestClient> | undefined;
      stats = createTestClient({
        tagFormat,
        onError: (err) => stats?.incr('statsd.errors', 1, { tags: { code: err.code } }),
      });
      for (let i = 0; i < 3; i++) {
        stats.timing('q', i, { tags: { a: 'b', bad: [] as unknown as string } });
        stats.timing('q', i, { tags: { a: 'b' } });
      }
      expect(stats.metrics.map((m) => [m.name, m.tags])).toEqual(
        [0, 1, 2].flatMap(() => [
          ['statsd.errors', { code: 'STATSKIT_ERR_INVALID_TAG' }],
          ['q', { a: 'b' }],
          ['q', { a: 'b' }],
        ]),
      );
    });
  },
);

describe('aggregation by (name, tag set)', () => {
  test('tagged counters fold into one line per tag set, whether the set is one object or a literal per call', async () => {
    const { stats, lines, badCounts } = recorded({ tags: { env: 'prod' } });
    const shared = { route: '/a' };
    for (let i = 0; i < 1000; i++) {
      stats.incr('hits', 1, { tags: shared });
      stats.incr('hits', 2, { tags: { route: '/b' } });
      stats.incr('hits', 1, { tags: ['route:/c'] });
    }
    await stats.flush();
    expect(lines().sort()).toEqual([
      'hits:1000|c|#env:prod,route:/a',
      'hits:1000|c|#env:prod,route:/c',
      'hits:2000|c|#env:prod,route:/b',
    ]);
    expect(badCounts).toEqual([]);
    await stats.close();
  });

  test("tagged timers are packed per tag set with server: 'dogstatsd'; one line per sample with no server named", async () => {
    const named = recorded({ server: 'dogstatsd' });
    const portable = recorded({});
    for (let i = 0; i < 4; i++) {
      for (const c of [named, portable]) {
        c.stats.timing('lat', i, { tags: { method: 'GET' } });
        c.stats.timing('lat', 10 + i, { tags: ['method:PUT'] });
      }
    }
    await Promise.all([named.stats.close(), portable.stats.close()]);
    expect(named.lines().sort()).toEqual(['lat:0:1:2:3|ms|#method:GET', 'lat:10:11:12:13|ms|#method:PUT']);
    expect(portable.lines()).toHaveLength(8);
    expect(portable.lines()[1]).toBe('lat:10|ms|#method:PUT');
    expect([...named.badCounts, ...portable.badCounts]).toEqual([]);
  });
});

describe('the cache itself (bounds, admission)', () => {
  const base = resolveTags({ env: 'prod' }, 'datadog', () => {});

  test('hits answer from the cache with the same string; a changed value is a miss', () => {
    const sets = new TagSets(() => {}, 1432);
    const w = new TagWriter();
    const a = sets.resolve(base, { k: 'v', n: 1 }, w, true);
    const b = sets.resolve(base, { k: 'v', n: 1 }, w, true);
    expect(a).toBe('|#env:prod,k:v,n:1');
    expect(b).toBe(a);
    expect(sets.hits).toBe(1);
    expect(sets.bytes).toBe(a.length);
    expect(sets.pieces).toBe(false);
    sets.resolve(base, { k: 'v', n: 2 }, w, true);
    sets.resolve(base, ['k:v', 'n:1'], w, true); // the same tags as an array: another shape
    expect(sets.hits).toBe(1);
    expect(sets.added).toBe(3);
    // a Map is never cached: the writer reads it (its pieces)
    sets.resolve(base, new Map([['k', 'v']]), w, false);
    expect(sets.pieces).toBe(true);
    expect(sets.size).toBe(3);
  });

  test('at most 10 000 sets; full, one new set in 16 is taken and the oldest forgotten', () => {
    const sets = new TagSets(() => {}, 1432);
    const w = new TagWriter();
    const bare = resolveTags(undefined, 'datadog', () => {});
    for (let i = 0; i < 10_000; i++) sets.resolve(bare, [`u${i}`], w, true);
    expect(sets.size).toBe(10_000);
    for (let i = 10_000; i < 10_160; i++) sets.resolve(bare, [`u${i}`], w, true);
    expect(sets.size).toBe(10_000);
    expect(sets.added).toBe(10_010);
    const hits = sets.hits;
    sets.resolve(bare, ['u0'], w, true); // among the oldest: forgotten
    expect(sets.hits).toBe(hits);
    sets.resolve(bare, ['u9999'], w, true);
    expect(sets.hits).toBe(hits + 1);
  });

  test('about 4 MiB at most, whatever the sizes; a set larger than a packet or 2 048 characters is never kept', () => {
    const sets = new TagSets(() => {}, 65_000);
    const w = new TagWriter();
    for (let i = 0; i < 3000; i++) sets.resolve(base, { id: String(i).padEnd(1900, 'x') }, w, true);
    expect(sets.cachedBytes).toBeLessThanOrEqual(4 * 1024 * 1024);
    expect(sets.size).toBeLessThan(1000);
    expect(sets.size).toBeGreaterThan(300);
    const before = sets.added;
    sets.resolve(base, { big: 'y'.repeat(3000) }, w, true);
    const small = new TagSets(() => {}, 64);
    small.resolve(base, { k: 'z'.repeat(100) }, w, true);
    expect(sets.added).toBe(before);
    expect(small.added).toBe(0);
    expect(small.bytes).toBe(Buffer.byteLength(`|#env:prod,k:${'z'.repeat(100)}`));
  });

  test('more than 32 tags: resolved as before, not kept, the scratch does not hold them', () => {
    const sets = new TagSets(() => {}, 65_000);
    const w = new TagWriter();
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`]));
    const s = sets.resolve(base, many, w, true);
    expect(s).toBe(resolveTags(many, 'datadog', () => {}, base).str);
    expect(sets.size).toBe(0);
  });
});
