/**
 * No input can add, split or corrupt a line: every reserved character in names, tag keys and values is
 * replaced, NaN/±Infinity and non-numbers never reach the wire, and no metric call throws, whatever it
 * is given.
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type ChildOptions, type StatsClient, StatsError, type TagFormat, type Tags } from '@statskit/client';
import StatsD from '@statskit/client/hot-shots';
import { createTestClient, parseLine, parsePacket } from '@statskit/client/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { drain, linesOf, udpClient } from './helpers/client.js';
import { type UdpReceiver, udpReceiver } from './helpers/udp-receiver.js';

let rx: UdpReceiver;
beforeAll(async () => {
  rx = await udpReceiver();
});
afterAll(() => rx.close());

const FORMATS: TagFormat[] = ['datadog', 'telegraf', 'graphite', 'none'];

/** Every character with a meaning in some statsd dialect, control characters and lone surrogates. */
const EVIL = 'a\nb\rc:d|e@f#g,h=i;j k\tl\0m\x7fn\x1bo\ud800p\udc00q!r^s~t\u2028u/v\\w(x)y{z}A[B]C\'D"E*F?G';

/** Characters each format replaces, written independently of the sanitizer's tables. */
const CONTROL = '\\x00-\\x1f\\x7f';
// A space is never valid in a name; Graphite also loses `/` (a directory), `\\(){},='"` (query syntax)
// and `*?[]` (wildcards).
/** Graphite (carbon splits its lines with Python's str.split()): every Unicode whitespace as well. */
const PY_SPACE = '\\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const NAME_RESERVED: Record<TagFormat, RegExp> = {
  datadog: new RegExp(`[${CONTROL}:|@# ]`, 'g'),
  none: new RegExp(`[${CONTROL}:|@# ]`, 'g'),
  telegraf: new RegExp(`[${CONTROL}:|@#,= ]`, 'g'),
  graphite: new RegExp(`[${CONTROL}${PY_SPACE}:|@#; /\\\\(){}\\[\\],='"*?]`, 'g'),
};
/** Set members are values: only what would end the line or split the tags in the name. */
const MEMBER_RESERVED: Record<TagFormat, RegExp> = {
  datadog: new RegExp(`[${CONTROL}:|@#]`, 'g'),
  none: new RegExp(`[${CONTROL}:|@#]`, 'g'),
  telegraf: new RegExp(`[${CONTROL}:|@#,= ]`, 'g'),
  graphite: new RegExp(`[${CONTROL}${PY_SPACE}:|@#; ]`, 'g'),
};
const KEY_RESERVED: Record<TagFormat, RegExp> = {
  datadog: new RegExp(`[${CONTROL}:|@#,]`, 'g'),
  none: /$^/g,
  // Telegraf's statsd input splits the line on ':' and '|', the name on ',' and a tag at its first '='
  telegraf: new RegExp(`[${CONTROL}:|,=]`, 'g'),
  graphite: new RegExp(`[${CONTROL}${PY_SPACE}:|@#;!^= ~"]`, 'g'),
};
const VALUE_RESERVED: Record<TagFormat, RegExp> = {
  datadog: new RegExp(`[${CONTROL}:|@#,]`, 'g'),
  none: /$^/g,
  // ... and keeps the rest of the tag after the first '=' as its value, '=' included
  telegraf: new RegExp(`[${CONTROL}:|,]`, 'g'),
  graphite: new RegExp(`[${CONTROL}${PY_SPACE}:|@#; ~"]`, 'g'),
};
/** What a timed function of the hot-shots class gets as its last argument. */
interface TimerContextLike {
  addTags(tags: unknown): void;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** The same, without `g`: `test()` keeps no state. */
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source);

const clean = (s: string, re: RegExp): string => s.replace(LONE_SURROGATE, '\ufffd').replace(re, '_');

describe.each(FORMATS)('tagFormat %s: one well-formed line per call', (format) => {
  const name = (s: string): string => clean(s, NAME_RESERVED[format]);
  const key = (s: string): string => clean(s, KEY_RESERVED[format]);
  const value = (s: string): string => clean(s, VALUE_RESERVED[format]);
  const member = (s: string): string => clean(s, MEMBER_RESERVED[format]);
  const tagsOf = (t: Record<string, string | true>): Record<string, string | true> =>
    format === 'none' ? {} : t;

  /** Send each call in a packet of its own and return the packets' texts. */
  async function perCall(calls: ((s: StatsClient) => void)[], options = {}): Promise<string[]> {
    await using c = udpClient(rx, { tagFormat: format, batching: false, ...options });
    for (const call of calls) call(c.stats);
    const packets = await drain(c.stats, rx);
    expect(c.errors).toEqual([]);
    return packets.map((p) => p.text);
  }

  test('an evil name, on every metric type', async () => {
    const packets = await perCall([
      (s) => s.incr(EVIL),
      (s) => s.decr(EVIL),
      (s) => s.gauge(EVIL, 3),
      (s) => s.gaugeDelta(EVIL, -3),
      (s) => s.timing(EVIL, 1.5),
      (s) => s.histogram(EVIL, 2),
      (s) => s.distribution(EVIL, 2),
      (s) => s.set(EVIL, 'm'),
      (s) => s.timer(EVIL).stop(),
      (s) => s.time(EVIL, () => 1),
    ]);
    expect(packets).toHaveLength(10);
    for (const p of packets) {
      expect(p.split('\n'), p).toHaveLength(1);
      const m = parseLine(p, format);
      expect(m, p).toBeDefined();
      expect(m?.name).toBe(name(EVIL));
      expect(m?.tags).toEqual({});
    }
  });

  test('evil tag keys and values, as an object and as an array', async () => {
    const packets = await perCall([
      (s) => s.incr('a', 1, { tags: { [EVIL]: EVIL } }),
      (s) => s.incr('a', 1, { tags: { k: EVIL, [EVIL]: true } }),
      (s) => s.incr('a', 1, { tags: [`k:${EVIL}`] }),
      (s) => s.incr('a', 1, { tags: [EVIL.replace(':', '')] }), // no ':' left in the key: a flag tag
    ]);
    const flag = format === 'datadog' ? true : 'true';
    const noColon = EVIL.replace(':', '');
    const expected = [
      { [key(EVIL)]: value(EVIL) },
      { k: value(EVIL), [key(EVIL)]: flag },
      // array form: the key ends at the first ':' (Telegraf and Graphite: or '=', how they write tags)
      { k: value(EVIL) },
      format === 'telegraf' || format === 'graphite'
        ? { [key(noColon.slice(0, noColon.indexOf('=')))]: value(noColon.slice(noColon.indexOf('=') + 1)) }
        : { [key(noColon)]: flag },
    ];
    expect(packets).toHaveLength(4);
    for (const [i, p] of packets.entries()) {
      expect(p.split('\n'), p).toHaveLength(1);
      const m = parseLine(p, format);
      expect(m, p).toBeDefined();
      expect(m?.name).toBe('a');
      expect(m?.tags).toEqual(tagsOf(expected[i] as Record<string, string | true>));
    }
  });

  test('evil prefix, suffix and global tags; an evil child; an evil set member', async () => {
    const packets = await perCall(
      [
        (s) => s.incr('n'),
        (s) => s.child({ prefix: EVIL, tags: { [EVIL]: EVIL } }).gauge('n', -1),
        (s) => s.set('n', EVIL),
      ],
      { prefix: EVIL, suffix: EVIL, tags: { g: EVIL } },
    );
    const base = `${name(EVIL)}.n.${name(EVIL)}`;
    const childName = `${name(EVIL)}.${name(EVIL)}.n.${name(EVIL)}`;
    expect(packets).toHaveLength(3);
    const [first, gauge, set] = packets as [string, string, string];
    expect(parseLine(first, format)).toMatchObject({ name: base, tags: tagsOf({ g: value(EVIL) }) });
    // the negative gauge is the only call with two lines, both well formed
    const lines = gauge.split('\n');
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(parseLine(line, format)).toMatchObject({
        name: childName,
        type: 'g',
        tags: tagsOf({ g: value(EVIL), [key(EVIL)]: value(EVIL) }),
      });
    }
    expect(set.split('\n')).toHaveLength(1);
    expect(parseLine(set, format)).toMatchObject({ name: base, type: 's', value: member(EVIL) });
  });

  test('fuzz: 400 random calls with reserved characters everywhere, batched', async () => {
    const alphabet = [...'\n\r:|@#,=; \t\0\x7f!^~.aé日😀', '\ud800', '\udc00'];
    let seed = 12345 + format.length;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x80000000;
    };
    const str = (): string => {
      let s = '';
      const n = 1 + Math.floor(rand() * 8);
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(rand() * alphabet.length)];
      return s;
    };
    await using c = udpClient(rx, { tagFormat: format, tags: { [str()]: str() } });
    const expectedNames: string[] = [];
    for (let i = 0; i < 400; i++) {
      const n = str();
      const tags = { [str()]: str(), [str()]: str() };
      switch (i % 4) {
        case 0:
          c.stats.incr(n, 1, { tags });
          break;
        case 1:
          c.stats.timing(n, i, { tags: Object.entries(tags).map(([k, v]) => `${k}:${v}`) });
          break;
        case 2:
          c.stats.gauge(n, -i, { tags });
          expectedNames.push(name(n)); // the reset line
          break;
        default:
          c.stats.set(n, str(), { tags });
      }
      expectedNames.push(name(n));
    }
    const lines = linesOf(await drain(c.stats, rx));
    // The array form splits `k:v` at the first ':', so a generated key starting with ':' leaves an
    // empty key: that tag (and only that) is dropped and reported; the line still goes out.
    for (const e of c.errors) {
      expect(e.code).toBe('STATSKIT_ERR_INVALID_TAG');
      expect(e.message).toMatch(/has an empty (key|value)/);
    }
    expect(lines).toHaveLength(expectedNames.length);
    const malformed = lines.filter((l) => parseLine(l, format) === undefined);
    expect(malformed).toEqual([]);
    expect(lines.map((l) => parseLine(l, format)?.name)).toEqual(expectedNames);
  });
});

describe('values that must never reach the wire', () => {
  const methods: [string, (s: StatsClient, v: unknown) => void][] = [
    ['incr', (s, v) => s.incr('x', v as number)],
    ['decr', (s, v) => s.decr('x', v as number)],
    ['gauge', (s, v) => s.gauge('x', v as number)],
    ['gaugeDelta', (s, v) => s.gaugeDelta('x', v as number)],
    ['timing', (s, v) => s.timing('x', v as number)],
    ['histogram', (s, v) => s.histogram('x', v as number)],
    ['distribution', (s, v) => s.distribution('x', v as number)],
    ['set', (s, v) => s.set('x', v as number)],
  ];
  const bad: [string, unknown][] = [
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['null', null],
    ['an object', { valueOf: () => 1 }],
    ['an array', [1]],
    ['a boolean', true],
    ['a bigint', 10n],
    ['a symbol', Symbol('v')],
    ['a function', () => 1],
  ];

  test.each(methods)(
    '%s: NaN, ±Infinity and non-numbers → STATSKIT_ERR_INVALID_VALUE, nothing sent',
    async (_m, call) => {
      await using c = udpClient(rx);
      for (const [label, v] of bad) expect(() => call(c.stats, v), label).not.toThrow();
      expect(c.codes()).toEqual(bad.map(() => 'STATSKIT_ERR_INVALID_VALUE'));
      expect(await drain(c.stats, rx)).toEqual([]);
      expect(c.stats.telemetry().droppedBy.invalid).toBe(bad.length);
    },
  );

  test('an empty set member is invalid', () => {
    const stats = createTestClient();
    stats.set('x', '');
    expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_VALUE']);
    expect(stats.lines).toEqual([]);
  });
});

describe('names that are not names', () => {
  const names: [string, unknown][] = [
    ['empty', ''],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an object', { toString: () => 'x' }],
    ['an array', ['x']],
    ['a symbol', Symbol('n')],
  ];
  test.each(names)('%s → STATSKIT_ERR_INVALID_NAME on every method, no throw, nothing sent', (_label, n) => {
    const stats = createTestClient();
    const bad = n as string;
    const calls = [
      () => stats.incr(bad),
      () => stats.decr(bad),
      () => stats.gauge(bad, 1),
      () => stats.gauge(bad, -1),
      () => stats.gaugeDelta(bad, 1),
      () => stats.timing(bad, 1),
      () => stats.histogram(bad, 1),
      () => stats.distribution(bad, 1),
      () => stats.set(bad, 1),
      () => stats.set(bad, 'm'),
      () => stats.timer(bad).stop(),
      () => stats.time(bad, () => 1),
    ];
    for (const call of calls) expect(call).not.toThrow();
    expect(stats.errors.map((e) => e.code)).toEqual(calls.map(() => 'STATSKIT_ERR_INVALID_NAME'));
    expect(stats.lines).toEqual([]);
  });
});

describe('a metric call never throws', () => {
  // biome-ignore lint/suspicious/noExplicitAny: garbage in, on purpose
  const garbage: any[] = [
    undefined,
    null,
    Number.NaN,
    0,
    '',
    'x\n',
    {},
    [],
    Symbol('g'),
    () => {},
    10n,
    true,
  ];

  test('whatever the arguments', () => {
    const stats = createTestClient();
    const s = stats as unknown as Record<string, (...args: unknown[]) => unknown>;
    const methods = ['incr', 'decr', 'gauge', 'gaugeDelta', 'timing', 'histogram', 'distribution', 'set'];
    for (const m of methods) {
      for (const a of garbage) {
        for (const b of garbage) {
          for (const opts of [undefined, null, 'x', 42, { rate: a }, { tags: a }, { tags: [a, b] }]) {
            expect(
              () => s[m]?.call(stats, a, b, opts),
              `${m}(${String(a)}, ${String(b)}, ${String(opts)})`,
            ).not.toThrow();
          }
        }
      }
    }
    // whatever got through is well formed
    for (const line of stats.lines) expect(parseLine(line), line).toBeDefined();
  });

  test('timer() with garbage: stop() still returns a number', () => {
    const stats = createTestClient();
    // biome-ignore lint/suspicious/noExplicitAny: garbage in, on purpose
    const t = stats.timer(undefined as any, null as any);
    expect(typeof t.stop()).toBe('number');
    expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_NAME']);
  });

  test('invalid tags are dropped and reported; the metric is still sent', () => {
    const stats = createTestClient();
    stats.incr('a', 1, { tags: [42, null, '', 'ok:1'] as unknown as string[] });
    stats.incr('b', 1, { tags: { obj: {}, fn: () => 1, ok: 'yes' } as unknown as Record<string, string> });
    expect(stats.lines).toEqual(['a:1|c|#ok:1', 'b:1|c|#ok:yes']);
    expect(stats.errors.map((e) => e.code)).toEqual([
      'STATSKIT_ERR_INVALID_TAG',
      'STATSKIT_ERR_INVALID_TAG',
      'STATSKIT_ERR_INVALID_TAG',
      'STATSKIT_ERR_INVALID_TAG',
      'STATSKIT_ERR_INVALID_TAG',
    ]);
  });
});

/**
 * Issue 12 item 17: values that run (or refuse to run) code when read or printed. A metric call never
 * invokes them — it never calls `toString`, `valueOf` or `Symbol.toPrimitive`, and a getter or Proxy
 * trap that throws is caught and reported.
 */
describe('hostile values × every method × every tag format', () => {
  const boom = (): never => {
    throw new Error('boom');
  };
  const revoked = (target: object): object => {
    const r = Proxy.revocable(target, {});
    r.revoke();
    return r.proxy;
  };
  const trapAll: ProxyHandler<object> = {
    get: boom,
    has: boom,
    ownKeys: boom,
    getOwnPropertyDescriptor: boom,
    getPrototypeOf: boom,
  };
  const throwingGetters = {
    get rate(): never {
      return boom();
    },
    get tags(): never {
      return boom();
    },
    get timestamp(): never {
      return boom();
    },
    get errorTags(): never {
      return boom();
    },
    get prefix(): never {
      return boom();
    },
    get hostname(): never {
      return boom();
    },
    get message(): never {
      return boom();
    },
  };
  const arrayWithThrowingEntry = ['ok:1'];
  Object.defineProperty(arrayWithThrowingEntry, 1, { get: boom, enumerable: true });

  /** [label, value, is it (unlike an empty object) invalid as a tag container?] */
  const HOSTILE: [string, () => unknown, boolean][] = [
    ['Object.create(null)', () => Object.create(null), false],
    ['a revoked Proxy', () => revoked({}), true],
    ['a revoked Proxy of an array', () => revoked([]), true],
    ['a Proxy whose every trap throws', () => new Proxy({}, trapAll), true],
    ['a Proxy of an array whose every trap throws', () => new Proxy([], trapAll), true],
    [
      'throwing toString/valueOf/Symbol.toPrimitive',
      () => ({ toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom }),
      true, // its own keys are functions: not tag values
    ],
    ['throwing getters', () => throwingGetters, true],
    ['an array with a throwing entry', () => arrayWithThrowingEntry, true],
    ['a function with a throwing toString', () => Object.assign(() => 1, { toString: boom }), true],
    ['a fake Date', () => Object.create(Date.prototype), false],
    ['a symbol', () => Symbol('hostile'), true],
    ['a bigint', () => 10n, true],
  ];

  type Call = (s: StatsClient, v: unknown) => unknown;
  /** [label, call, must it report an error?] — `v` goes where the label says. */
  const methods = ['incr', 'decr', 'gauge', 'gaugeDelta', 'timing', 'histogram', 'distribution', 'set'];
  const calls: [string, Call, (hostile: string, tagInvalid: boolean) => boolean][] = [];
  const always = (): boolean => true;
  const never = (): boolean => false;
  for (const m of methods) {
    const f = (s: StatsClient): ((...a: unknown[]) => void) =>
      (s as unknown as Record<string, (...a: unknown[]) => void>)[m]?.bind(s) as (...a: unknown[]) => void;
    calls.push(
      [`${m}(v, 1)`, (s, v) => f(s)(v, 1), always],
      [`${m}(v, NaN)`, (s, v) => f(s)(v, Number.NaN), always],
      [`${m}('x', v)`, (s, v) => f(s)('x', v), always],
      [`${m}('x', 1, v)`, (s, v) => f(s)('x', 1, v), never],
      [`${m}('x', 1, { rate: v })`, (s, v) => f(s)('x', 1, { rate: v }), always],
      [`${m}('x', 1, { tags: v })`, (s, v) => f(s)('x', 1, { tags: v }), (_h, bad) => bad],
      [`${m}('x', 1, { tags: { a: v } })`, (s, v) => f(s)('x', 1, { tags: { a: v } }), always],
      [`${m}('x', 1, { tags: [v] })`, (s, v) => f(s)('x', 1, { tags: [v] }), always],
      [
        `${m}('x', 1, { tags: new Map([['a', v]]) })`,
        (s, v) => f(s)('x', 1, { tags: new Map([['a', v]]) }),
        always,
      ],
    );
  }
  calls.push(
    ["incr('x', 1, { timestamp: v })", (s, v) => s.incr('x', 1, { timestamp: v as number }), always],
    ['timer(v).stop()', (s, v) => s.timer(v as string).stop(), always],
    ["timer('x', v).stop()", (s, v) => s.timer('x', v as undefined).stop(), never],
    ["time('x', v)", (s, v) => s.time('x', v as () => 1), (h) => !h.startsWith('a function')],
    ['time(v, fn)', (s, v) => s.time(v as string, () => 1), always],
    ["time('x', fn, v)", (s, v) => s.time('x', () => 1, v as undefined), never],
    [
      "time('x', throwing fn, { errorTags: v })",
      (s, v) => {
        try {
          s.time('x', boom, { errorTags: v as Tags });
        } catch {}
      },
      (_h, bad) => bad,
    ],
    [
      "time('x', throwing fn, { tags: { a: 1 }, errorTags: { b: v } })",
      (s, v) => {
        try {
          s.time('x', boom, { tags: { a: 1 }, errorTags: { b: v } as unknown as Tags });
        } catch {}
      },
      always,
    ],
    ["event(v, 'text')", (s, v) => s.event(v as string, 'text'), always],
    ["event('title', v)", (s, v) => s.event('title', v as string), always],
    ["event('title', 'text', v)", (s, v) => s.event('title', 'text', v as undefined), never],
    [
      "event('title', 'text', { hostname: v })",
      (s, v) => s.event('t', 'x', { hostname: v as string }),
      always,
    ],
    [
      "event('title', 'text', { priority: v })",
      (s, v) => s.event('t', 'x', { priority: v as 'low' }),
      always,
    ],
    [
      "event('title', 'text', { timestamp: v })",
      (s, v) => s.event('t', 'x', { timestamp: v as number }),
      always,
    ],
    [
      "event('title', 'text', { tags: { a: v } })",
      (s, v) => s.event('t', 'x', { tags: { a: v } as Tags }),
      always,
    ],
    ['check(v, 0)', (s, v) => s.check(v as string, 0), always],
    ["check('c', v)", (s, v) => s.check('c', v as 0), always],
    ["check('c', 0, v)", (s, v) => s.check('c', 0, v as undefined), never],
    ["check('c', 0, { message: v })", (s, v) => s.check('c', 0, { message: v as string }), always],
    ["check('c', 0, { tags: v })", (s, v) => s.check('c', 0, { tags: v as Tags }), (_h, bad) => bad],
  );

  describe.each(['datadog', 'telegraf', 'graphite'] as const)('tagFormat %s', (format) => {
    test.each(calls)(
      '%s: never throws, reports with a code, sends only well-formed lines',
      (_label, call, mustReport) => {
        const stats = createTestClient({ tagFormat: format, tags: { g: 'v' } });
        for (const [hostile, make, tagInvalid] of HOSTILE) {
          const before = stats.errors.length;
          expect(() => call(stats, make()), hostile).not.toThrow();
          const errors = stats.errors.slice(before);
          if (mustReport(hostile, tagInvalid)) expect(errors.length, hostile).toBeGreaterThan(0);
          for (const e of errors)
            expect(e.code, `${hostile}: ${e.message}`).toMatch(/^STATSKIT_ERR_[A-Z_]+$/);
        }
        for (const packet of stats.memory.packets) {
          const ext = packet.split('\n').filter((l) => l.startsWith('_e{') || l.startsWith('_sc|'));
          // DogStatsD events and checks are not statsd lines: one line each, with its header
          for (const l of ext) {
            expect(l, packet).toMatch(/^(_e\{\d+,\d+\}:[^|]+\|[^|]*|_sc\|[^|]+\|[0-3])(\||$)/);
          }
          if (ext.length === 0) expect(parsePacket(packet, format), packet).not.toContain(undefined);
        }
      },
    );

    test('child(v) and child({ prefix | tags | sampleRate: v }) throw InvalidOptionError or nothing', () => {
      const stats = createTestClient({ tagFormat: format });
      for (const [hostile, make, tagInvalid] of HOSTILE) {
        for (const opts of [
          make(),
          { prefix: make() },
          { suffix: make() },
          { tags: make() },
          { tags: { a: make() } },
          { sampleRate: make() },
        ]) {
          let child: StatsClient | undefined;
          try {
            child = stats.child(opts as ChildOptions);
          } catch (err) {
            expect(StatsError.is(err), hostile).toBe(true);
            expect((err as StatsError).code, hostile).toBe('STATSKIT_ERR_INVALID_OPTION');
            continue;
          }
          // what was accepted is an empty prefix/tag set (Object.create(null), a fake Date as tags)
          expect(tagInvalid && opts !== null && 'tags' in (opts as object), hostile).toBe(false);
          child.incr('c');
        }
      }
      for (const line of stats.lines) expect(parseLine(line, format), line).toBeDefined();
      expect(stats.errors).toEqual([]);
    });

    test('after close(): every method with a hostile name reports STATSKIT_ERR_CLOSED', async () => {
      const stats = createTestClient({ tagFormat: format });
      await stats.close();
      for (const [hostile, make] of HOSTILE) {
        const before = stats.errors.length;
        for (const [, call] of calls.filter(
          ([label]) => label.includes('(v,') || label.startsWith('check(v'),
        )) {
          expect(() => call(stats, make()), hostile).not.toThrow();
        }
        const codes = stats.errors.slice(before).map((e) => e.code);
        expect(codes.length, hostile).toBeGreaterThan(0);
        expect(new Set(codes), hostile).toEqual(new Set(['STATSKIT_ERR_CLOSED']));
      }
      expect(stats.lines).toEqual([]);
    });
  });

  /**
   * carbon 1.1's plaintext grammar, written from its source independently of the client: a line is
   * exactly `path value timestamp` after Python's `str.split()` (any Unicode whitespace splits), the
   * value a Python float, the timestamp an integer; the path is read by `TaggedSeries.parse`: never the
   * OpenMetrics form (ends in `"}` and holds a `{`), a non-empty metric, each `;tag=value` with a tag
   * free of `;!^=` and a non-empty value free of `;` not starting with `~`. Returns what is wrong, or ''.
   */
  function carbonLineError(line: string): string {
    if (HAS_LONE_SURROGATE.test(line)) return 'a lone surrogate';
    const fields = line.split(/[\s\u001c-\u001f\u0085]+/);
    if (fields.length !== 3) return `${fields.length} fields`;
    const [path, value, ts] = fields as [string, string, string];
    if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) || !Number.isFinite(Number(value)))
      return `value ${value}`;
    if (!/^\d+$/.test(ts)) return `timestamp ${ts}`;
    if (path.endsWith('"}') && path.includes('{')) return 'an OpenMetrics path';
    const [metric, ...tags] = path.split(';');
    if (metric === undefined || metric.replace(/^~+/, '') === '') return 'no metric';
    if (/(^|\.)(\.|$)/.test(metric)) return `an empty segment in ${metric}`;
    for (const t of tags) {
      const at = t.indexOf('=');
      if (at <= 0) return `tag ${t}`;
      const k = t.slice(0, at);
      const v = t.slice(at + 1);
      if (/[;!^=]/.test(k) || v === '' || v.includes(';') || v.startsWith('~')) return `tag ${t}`;
    }
    return '';
  }

  describe('carbon reporter', () => {
    const metricCalls = calls.filter(([label]) => !/^(event|check)\(/.test(label));
    test.each(metricCalls)(
      "%s: never throws, reports with a code; every carbon line follows carbon's grammar",
      async (_label, call) => {
        const stats = createTestClient({
          carbon: { interval: 60_000 },
          tagFormat: 'graphite',
          tags: { g: 'v' },
        });
        for (const [hostile, make] of HOSTILE) {
          const before = stats.errors.length;
          expect(() => call(stats, make()), hostile).not.toThrow();
          for (const e of stats.errors.slice(before))
            expect(e.code, `${hostile}: ${e.message}`).toMatch(/^STATSKIT_ERR_[A-Z_]+$/);
        }
        // and the reserved characters of every dialect, carbon's own and its whitespace, everywhere
        for (const evil of [EVIL, 'x{env="prod"}', '~a', '\u00a0\u2003\u3000', '"}', '.']) {
          expect(() => call(stats, evil)).not.toThrow();
          stats.gauge(`n.${evil}`, 1, { tags: { [evil]: evil, route: `/u/${evil}` } });
          stats.incr('n', 1, { tags: [`${evil}:${evil}`, evil] });
        }
        await stats.flush();
        const lines = stats.memory.packets.flatMap((p) => p.split('\n'));
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(carbonLineError(line), line).toBe('');
        await stats.close();
      },
    );
  });

  describe('annotate()', () => {
    let server: Server;
    let url = '';
    const bodies: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        req.on('end', () => {
          bodies.push(body);
          res.end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const annotateCalls: [string, Call][] = [
      ['annotate(v)', (s, v) => s.annotate(v as string)],
      ["annotate('x', v)", (s, v) => s.annotate('x', v as undefined)],
      ["annotate('x', { tags: v })", (s, v) => s.annotate('x', { tags: v as string[] })],
      ["annotate('x', { tags: [v] })", (s, v) => s.annotate('x', { tags: [v as string] })],
      ["annotate('x', { tags: { a: v } })", (s, v) => s.annotate('x', { tags: { a: v as string } })],
      ["annotate('x', { data: v })", (s, v) => s.annotate('x', { data: v as string })],
      ["annotate('x', { when: v })", (s, v) => s.annotate('x', { when: v as number })],
    ];

    test.each(annotateCalls)(
      '%s: never throws or rejects, reports with a code; every event posted is one graphite-web can store',
      async (_label, call) => {
        bodies.length = 0;
        const stats = createTestClient({ graphiteWeb: url });
        const results: unknown[] = [];
        for (const [hostile, make] of HOSTILE) {
          const before = stats.errors.length;
          let p: unknown;
          expect(() => {
            p = call(stats, make());
          }, hostile).not.toThrow();
          results.push(await p);
          for (const e of stats.errors.slice(before))
            expect(e.code, `${hostile}: ${e.message}`).toMatch(/^STATSKIT_ERR_[A-Z_]+$/);
        }
        for (const evil of [EVIL, 'build,deploy', 'say "hi"', '\u00a0\u2028\u0085', '\ud800']) {
          results.push(await call(stats, evil));
          results.push(await stats.annotate(evil, { tags: [evil, `${evil}x`], data: evil }));
          results.push(await stats.annotate('t', { tags: { [evil]: evil } }));
        }
        await stats.close();
        for (const r of results) expect(typeof r).toBe('boolean');
        expect(bodies.length).toBeGreaterThan(0);
        for (const body of bodies) {
          const e = JSON.parse(body) as { what: string; tags: string[]; data: string; when?: number };
          expect(e.what, body).not.toBe('');
          for (const text of [e.what, e.data, ...e.tags])
            expect(HAS_LONE_SURROGATE.test(text), body).toBe(false);
          // graphite-web stores the tags joined by spaces and reads them back with str.split() or
          // django-tagging's parser (',' and '"' switch it to other rules): a tag holds none of them
          for (const tag of e.tags) expect(tag, body).toMatch(/^[^\s,"\u0000-\u001f\u007f-\u009f]+$/);
          if (e.when !== undefined) expect(Number.isInteger(e.when) && e.when < 1e11, body).toBe(true);
        }
      },
    );
  });

  /**
   * Issue 22 item 3: the hot-shots class gives every input StatsClient's treatment. Every method, the
   * hostile value in every argument position (and in every option it reads), over a real UDP socket:
   * nothing throws, every error carries a code, every packet parses.
   */
  describe.each([false, true])('hot-shots class (telegraf: %s)', (telegraf) => {
    type HsCall = (c: StatsD, v: unknown) => unknown;
    const any = (c: StatsD): Record<string, (...a: unknown[]) => unknown> =>
      c as unknown as Record<string, (...a: unknown[]) => unknown>;
    const hsCalls: [string, HsCall][] = [];
    for (const m of [
      'increment',
      'decrement',
      'timing',
      'histogram',
      'distribution',
      'gauge',
      'gaugeDelta',
      'set',
      'unique',
    ]) {
      const f = (c: StatsD) => (any(c)[m] as (...a: unknown[]) => unknown).bind(c);
      hsCalls.push(
        [`${m}(v, 1)`, (c, v) => f(c)(v, 1)],
        [`${m}([v], 1)`, (c, v) => f(c)([v], 1)],
        [`${m}('x', v)`, (c, v) => f(c)('x', v)],
        [`${m}('x', 1, v)`, (c, v) => f(c)('x', 1, v)],
        [`${m}('x', 1, 0.5, v)`, (c, v) => f(c)('x', 1, 0.5, v)],
        [`${m}('x', 1, { sampleRate: v })`, (c, v) => f(c)('x', 1, { sampleRate: v })],
        [`${m}('x', 1, { tags: v })`, (c, v) => f(c)('x', 1, { tags: v })],
        [`${m}('x', 1, { timestamp: v })`, (c, v) => f(c)('x', 1, { timestamp: v })],
        [`${m}('x', 1, { a: v })`, (c, v) => f(c)('x', 1, { a: v })],
        [`${m}('x', 1, [v])`, (c, v) => f(c)('x', 1, [v])],
        [`${m}('x', 1, 1, ['t'], v)`, (c, v) => f(c)('x', 1, 1, ['t'], v)],
      );
    }
    for (const m of ['timer', 'asyncTimer', 'asyncDistTimer']) {
      const f = (c: StatsD) => (any(c)[m] as (...a: unknown[]) => unknown).bind(c);
      const run = (w: unknown): void => {
        const r = (w as (...a: unknown[]) => unknown)(1);
        if (r instanceof Promise) r.catch(() => {});
      };
      const fn = (..._a: unknown[]) => (m === 'timer' ? 1 : Promise.resolve(1));
      hsCalls.push(
        [`${m}(v, 'x')()`, (c, v) => run(f(c)(v, 'x'))],
        [`${m}(fn, v)()`, (c, v) => run(f(c)(fn, v))],
        [`${m}(fn, 'x', v)()`, (c, v) => run(f(c)(fn, 'x', v))],
        [`${m}(fn, 'x', { tags: v })()`, (c, v) => run(f(c)(fn, 'x', { tags: v }))],
        [
          `${m}(fn adding tags v, 'x')()`,
          (c, v) =>
            run(
              f(c)((...a: unknown[]) => {
                (a[a.length - 1] as TimerContextLike).addTags(v);
                return m === 'timer' ? 1 : Promise.resolve(1);
              }, 'x'),
            ),
        ],
      );
    }
    hsCalls.push(
      ["event(v, 'text')", (c, v) => c.event(v as string, 'text')],
      ["event('title', v)", (c, v) => c.event('title', v as string)],
      ["event('title', 'text', v)", (c, v) => c.event('title', 'text', v as undefined)],
      ["event('t', 'x', { date_happened: v })", (c, v) => c.event('t', 'x', { date_happened: v as Date })],
      ["event('t', 'x', { hostname: v })", (c, v) => c.event('t', 'x', { hostname: v as string })],
      ["event('t', 'x', { priority: v })", (c, v) => c.event('t', 'x', { priority: v as 'low' })],
      ["event('t', 'x', { alert_type: v })", (c, v) => c.event('t', 'x', { alert_type: v as 'info' })],
      ["event('t', 'x', {}, v)", (c, v) => c.event('t', 'x', {}, v as string[])],
      ["event('t', 'x', {}, { a: v })", (c, v) => c.event('t', 'x', {}, { a: v } as never)],
      ['check(v, 0)', (c, v) => c.check(v as string, 0)],
      ["check('c', v)", (c, v) => c.check('c', v as 0)],
      ["check('c', 0, v)", (c, v) => c.check('c', 0, v as undefined)],
      ["check('c', 0, { date_happened: v })", (c, v) => c.check('c', 0, { date_happened: v as Date })],
      ["check('c', 0, { message: v })", (c, v) => c.check('c', 0, { message: v as string })],
      ["check('c', 0, {}, v)", (c, v) => c.check('c', 0, {}, v as string[])],
      ['childClient(v).increment', (c, v) => c.childClient(v as undefined).increment('c')],
      ['childClient({ prefix: v })', (c, v) => c.childClient({ prefix: v as string }).increment('c')],
      [
        'childClient({ globalTags: v })',
        (c, v) => c.childClient({ globalTags: v as string[] }).increment('c'),
      ],
      [
        'childClient({ globalTags: { a: v } })',
        (c, v) => c.childClient({ globalTags: { a: v } as never }).increment('c'),
      ],
      ['flush(v)', (c, v) => c.flush(v as undefined)],
    );

    test('every method × every hostile value × every argument: no throw, coded errors, every packet parses', async () => {
      await using hsRx = await udpReceiver();
      const errors: Error[] = [];
      const c = new StatsD({
        port: hsRx.port,
        telegraf,
        includeDataDogTags: false,
        globalTags: { g: 'v' },
        maxBufferSize: 1400,
        errorHandler: (e) => errors.push(e),
      });
      let calls = 0;
      for (const [label, call] of hsCalls) {
        for (const [hostile, make] of HOSTILE) {
          expect(() => call(c, make()), `${label} with ${hostile}`).not.toThrow();
          calls++;
        }
      }
      await new Promise((r) => setTimeout(r, 20)); // the async timers settle
      await new Promise<void>((resolve) => c.close(() => resolve()));
      await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBe(hsCalls.length * HOSTILE.length);
      expect(errors.length).toBeGreaterThan(0);
      for (const e of errors)
        expect((e as { code?: unknown }).code, e.message).toMatch(/^STATSKIT_ERR_[A-Z_]+$/);
      expect(hsRx.packets.length).toBeGreaterThan(0);
      const format = telegraf ? 'telegraf' : 'datadog';
      let lines = 0;
      for (const { text, size } of hsRx.packets) {
        expect(size, text).toBeLessThanOrEqual(1400);
        for (const line of text.split('\n')) {
          lines++;
          if (line.startsWith('_e{') || line.startsWith('_sc|')) {
            expect(telegraf, line).toBe(false);
            expect(line).toMatch(/^(_e\{\d+,\d+\}:[^|]+\|[^|]*|_sc\|[^|]+\|[0-3])(\||$)/);
          } else expect(parseLine(line, format), line).toBeDefined();
        }
      }
      expect(lines).toBeGreaterThan(100);
    });
  });
});
