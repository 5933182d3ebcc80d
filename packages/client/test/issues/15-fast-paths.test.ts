/**
 * Issue 15 ("fast by default"): the client's hot path was rewritten — one Encoder writes every line,
 * the aggregator holds values by the caller's raw name per client, calls without options take a fast
 * path (one Map lookup), a full name cache writes new names straight into the packet. These tests pin
 * what a user can observe: the bytes on the wire, onError, telemetry(), and what a real etsy statsd
 * daemon reads. Most pin behaviour the rewrite had to keep; the maxKeys default (and the CLOSED drop
 * during close's flush) are new. Multi-value lines are no longer a default (issue 21): these tests name
 * the server whose form they pin.
 */
import {
  type ClientOptions,
  ErrorCodes,
  StatsClient,
  type StatsError,
  type TagFormat,
  type Transport,
} from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';
import { type StatsdDaemon, startStatsd, waitUntil } from '../helpers/statsd-daemon.js';

/** A transport that records packets and every packet whose byte count or size is wrong. */
function recorder(maxPacketSize = 1432) {
  const packets: string[] = [];
  const bad: string[] = [];
  const transport: Transport = {
    send(packet, bytes) {
      packets.push(packet);
      const real = Buffer.byteLength(packet);
      if (real !== bytes || real > maxPacketSize) bad.push(`${bytes} vs ${real}: ${JSON.stringify(packet)}`);
    },
    flush: async () => {},
    close: async () => {},
  };
  return { packets, bad, transport, lines: () => packets.flatMap((p) => p.split('\n')) };
}

/** A client on the DogStatsD dialect (multi-value lines) unless the options name another server. */
function client(options: ClientOptions = {}) {
  const rec = recorder(options.maxPacketSize);
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    server: 'dogstatsd',
    ...options,
    transport: rec.transport,
    onError: (e) => errors.push(e),
  });
  return { stats, rec, errors, codes: () => errors.map((e) => e.code) };
}

/**
 * What a statsd server makes of DogStatsD lines: counters summed (weighted by 1/rate), gauges set or
 * moved by a signed value, every timer sample kept; keyed by name and tags.
 */
function serverView(lines: readonly string[]) {
  const counters = new Map<string, number>();
  const gauges = new Map<string, number>();
  const samples = new Map<string, string[]>();
  const sets = new Map<string, Set<string>>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const [values = '', type, ...rest] = line.slice(colon + 1).split('|');
    const rate = rest.find((p) => p.startsWith('@')) ?? '';
    const key = `${line.slice(0, colon)}${rest.find((p) => p.startsWith('#')) ?? ''}`;
    for (const v of values.split(':')) {
      if (type === 'c') counters.set(key, (counters.get(key) ?? 0) + Number(v) / Number(rate.slice(1) || 1));
      else if (type === 'g')
        gauges.set(key, /^[+-]/.test(v) ? (gauges.get(key) ?? 0) + Number(v) : Number(v));
      else if (type === 's') sets.set(key, (sets.get(key) ?? new Set()).add(v));
      else samples.set(`${key} ${type}${rate}`, [...(samples.get(`${key} ${type}${rate}`) ?? []), v]);
    }
  }
  return { counters, gauges, samples, sets };
}

/** The same calls, with and without options for the same names, and bad input on the fast path. */
function calls(s: StatsClient): void {
  const tags = { tags: { k: 'v' } };
  s.incr('a', 1, tags); // first seen with tags, then plain
  s.gauge('g', 5);
  s.incr('a');
  s.timing('t', 1);
  s.incr('a', 2, {});
  s.gauge('g', 7, {});
  s.timing('t', 2, {});
  s.incr('a', 3);
  s.gaugeDelta('g', 1);
  s.gauge('g', 4); // fast path (held): the delta before is forgotten; then a delta on it
  s.gaugeDelta('g', 2);
  s.decr('a');
  s.decr('a', 2, tags);
  s.incr('r', 1, { rate: 0.5 });
  s.incr('r');
  s.timing('t', 3);
  s.timing('t', 4, tags);
  s.timing('t', 5, { rate: 0.5 });
  s.timing('t', 6);
  s.gauge('x', 3);
  s.gauge('x', -3); // fast path, below zero: x:0|g then x:-3|g in one packet
  s.timing('w', 7, tags); // a tagged entry first: plain calls must not reach it
  s.gauge('h', 7, tags);
  s.timing('w', 8);
  s.gauge('h', 8);
  s.gauge('h', 9);
  s.timing('w', 9);
  s.set('u', 'ann');
  s.set('u', 'bob', {});
  s.set('u', 'ann');
  // rejected, whether the name is held or not: never on the wire
  s.incr('a', Number.NaN);
  s.incr('new', Number.POSITIVE_INFINITY);
  s.incr('a', '5' as unknown as number);
  s.decr('a', Number.NaN);
  s.gauge('g', Number.NaN);
  s.gauge('g2', Number.NEGATIVE_INFINITY);
  s.timing('t', Number.NaN);
  s.timing('t', -1);
  s.timing('t', Number.POSITIVE_INFINITY);
  s.incr('');
  s.incr(7 as unknown as string);
  s.gauge('', 1);
  s.timing(null as unknown as string, 1);
}
const INVALID = [
  ...Array<string>(9).fill(ErrorCodes.INVALID_VALUE),
  ...Array<string>(4).fill(ErrorCodes.INVALID_NAME),
];

describe('the fast path sends what the full path sends', () => {
  test('lines, grouped by name in first-seen order, and the totals of aggregate: false', async () => {
    const agg = client({ random: () => 0 });
    calls(agg.stats);
    expect(agg.rec.packets).toEqual([]);
    await agg.stats.flush();
    expect(agg.rec.lines()).toEqual([
      'a:-1|c|#k:v',
      'a:5|c',
      'g:6|g',
      't:1:2:3:6|ms',
      't:4|ms|#k:v',
      't:5|ms|@0.5',
      'r:3|c',
      'x:0|g',
      'x:-3|g',
      'w:7|ms|#k:v',
      'w:8:9|ms',
      'h:7|g|#k:v',
      'h:9|g',
      'u:ann|s',
      'u:bob|s',
    ]);
    expect(agg.rec.packets.some((p) => p.includes('x:0|g\nx:-3|g'))).toBe(true);
    expect(agg.codes()).toEqual(INVALID);
    expect(agg.stats.telemetry()).toMatchObject({ aggregated: 30, droppedBy: { invalid: 13 } });
    expect(agg.rec.bad).toEqual([]);

    const raw = client({ random: () => 0, aggregate: false });
    calls(raw.stats);
    await raw.stats.flush();
    expect(raw.codes()).toEqual(INVALID);
    expect(serverView(agg.rec.lines())).toEqual(serverView(raw.rec.lines()));
  });
});

describe('close()', () => {
  test('every held value is sent by close(); a fast-path call after it is dropped with CLOSED', async () => {
    const { stats, rec, codes } = client();
    for (const v of [1, 2]) {
      stats.incr('a');
      stats.gauge('g', v);
      stats.timing('t', v);
    }
    await stats.close();
    expect(rec.lines()).toEqual(['a:2|c', 'g:2|g', 't:1:2|ms']);
    stats.incr('a');
    stats.decr('a');
    stats.gauge('g', 3);
    stats.timing('t', 3);
    await stats.flush();
    expect(rec.lines()).toEqual(['a:2|c', 'g:2|g', 't:1:2|ms']);
    expect(codes()).toEqual(Array(4).fill(ErrorCodes.CLOSED));
    expect(stats.telemetry().droppedBy.closed).toBe(4);
  });

  test("a call from onError during close()'s flush, for a name a child still holds, is dropped too", async () => {
    const codes: string[] = [];
    let child: StatsClient | undefined;
    const rec = recorder();
    const stats = new StatsClient({
      server: 'dogstatsd', // timer samples held (multi-value), as counters and gauges are
      transport: rec.transport,
      onError: (e) => {
        codes.push(e.code);
        // the parent's overflowed counter is reported while close() writes what is held
        if (e.code === ErrorCodes.OVERFLOW) {
          child?.incr('c');
          child?.gauge('cg', 9);
          child?.timing('ct', 9);
        }
      },
    });
    child = stats.child({ prefix: 'kid' });
    stats.incr('big', Number.MAX_VALUE);
    stats.incr('big', Number.MAX_VALUE);
    child.incr('c');
    child.gauge('cg', 1);
    child.timing('ct', 1);
    await stats.close();
    expect(rec.lines()).toEqual(['kid.c:1|c', 'kid.cg:1|g', 'kid.ct:1|ms']);
    expect(codes).toEqual([ErrorCodes.OVERFLOW, ...Array(3).fill(ErrorCodes.CLOSED)]);
    expect(stats.telemetry().droppedBy.closed).toBe(3);
  });
});

describe('multi-value lines and onError', () => {
  test('a sample timed from onError while its line is written is held for the next line, not lost', async () => {
    const codes: string[] = [];
    const long = 'x'.repeat(45); // `xxx…:1|ms` is 50 bytes: never fits a 48-byte packet
    let again = true;
    const rec = recorder(48);
    const stats: StatsClient = new StatsClient({
      server: 'dogstatsd',
      transport: rec.transport,
      maxPacketSize: 48,
      onError: (e) => {
        codes.push(e.code);
        if (again) {
          again = false;
          stats.timing(long, 2); // while the too-large line of `long` is being written
        }
      },
    });
    stats.timing(long, 1);
    // the second sample would outgrow the packet: the line so far (`:1`) is written first, too large
    // and reported; onError then times a third sample, which must join the next line, not vanish
    stats.timing(long, 2);
    stats.timing('t', 1);
    await stats.flush();
    // each line reported once: `:1`, then `:3:2` (flushed) — the old code wrote `:1` twice and lost 3
    expect(codes).toEqual([ErrorCodes.LINE_TOO_LARGE, ErrorCodes.LINE_TOO_LARGE]);
    expect(codes.length).toBe(stats.telemetry().droppedBy.tooLarge);
    expect(rec.lines()).toEqual(['t:1|ms']);
  });
});

describe('children', () => {
  test('a child and its parent holding the same raw name keep their own prefix and tags', async () => {
    const { stats, rec } = client({ prefix: 'app', tags: { env: 'prod' } });
    const kid = stats.child({ prefix: 'db', tags: { role: 'r' } });
    for (const s of [stats, kid, kid, stats, kid]) {
      s.incr('q');
      s.gauge('g', s === kid ? 2 : 1);
      s.timing('t', s === kid ? 2 : 1);
    }
    await stats.flush();
    expect(rec.lines()).toEqual([
      'app.q:2|c|#env:prod',
      'app.g:1|g|#env:prod',
      'app.t:1:1|ms|#env:prod',
      'app.db.q:3|c|#env:prod,role:r',
      'app.db.g:2|g|#env:prod,role:r',
      'app.db.t:2:2:2|ms|#env:prod,role:r',
    ]);
  });

  test('a child with sampleRate < 1 takes the full path: counters weighted by 1/rate', async () => {
    let n = 0;
    // one call in four is kept at rate 0.5
    const { stats, rec } = client({ random: () => (n++ % 4 === 0 ? 0 : 0.9) });
    const kid = stats.child({ prefix: 's', sampleRate: 0.5 });
    stats.incr('hits'); // the parent holds the same raw name (fast path)
    for (let i = 0; i < 8; i++) kid.incr('hits');
    for (let i = 0; i < 8; i++) kid.timing('t', i);
    await stats.flush();
    expect(rec.lines()).toEqual(['hits:1|c', 's.hits:4|c', 's.t:0:4|ms|@0.5']);
    expect(stats.telemetry()).toMatchObject({ sampledOut: 12, aggregated: 5 });
  });
});

describe('aggregate.maxKeys', () => {
  test('the default holds 100 000 keys: 20 000 names incremented 3 times are 20 000 lines', async () => {
    const { stats, rec } = client();
    for (let r = 0; r < 3; r++) for (let i = 0; i < 20_000; i++) stats.incr(`n${i}`);
    expect(rec.packets).toEqual([]);
    await stats.flush();
    expect(rec.lines()).toEqual(Array.from({ length: 20_000 }, (_, i) => `n${i}:3|c`));
    expect(stats.telemetry().aggregated).toBe(60_000);
  });

  test('the default bound is 100 000: the next new key goes raw', async () => {
    const { stats, rec } = client({ batching: false });
    for (let i = 0; i < 100_000; i++) stats.incr(`n${i}`);
    stats.incr('over');
    stats.incr('over');
    stats.incr('n0');
    expect(rec.lines()).toEqual(['over:1|c', 'over:1|c']);
    expect(stats.telemetry().aggregated).toBe(100_001);
    await stats.close();
    expect(rec.lines()).toHaveLength(100_002);
    expect(rec.lines()[2]).toBe('n0:2|c');
  });

  test('with maxKeys: N the N+1-th new key is sent raw at once; held keys keep aggregating', async () => {
    const { stats, rec } = client({ aggregate: { maxKeys: 3 }, batching: false });
    for (const n of ['a', 'b', 'c']) stats.incr(n);
    stats.incr('d');
    stats.incr('a', 2, { tags: { k: 'v' } }); // a new key too
    stats.gauge('e', 1);
    stats.timing('f', 1);
    stats.incr('a');
    stats.incr('b', 1, {});
    expect(rec.lines()).toEqual(['d:1|c', 'a:2|c|#k:v', 'e:1|g', 'f:1|ms']);
    await stats.flush();
    expect(rec.lines().slice(4)).toEqual(['a:2|c', 'b:2|c', 'c:1|c']);
    expect(stats.telemetry().aggregated).toBe(5);
  });
});

const FORMATS: readonly TagFormat[] = ['datadog', 'telegraf', 'graphite', 'none'];
/** Reserved characters, non-ASCII, surrogate pairs and lone surrogates, in every format's tables. */
const SPECIAL = ['a b', 'x:y|z', '@#', 'zoë', '日本', '😀🎉', '\uD800x', 'y\uDFFF', 't\tab', 'a,b=c;d/e(f)*'];
/** The server whose tag style each format is, so each multi-value form is pinned (Telegraf's is etsy's). */
const SERVER_OF = { datadog: 'dogstatsd', telegraf: 'telegraf', graphite: 'etsy', none: 'etsy' } as const;
const named = (format: TagFormat): ClientOptions => ({
  server: SERVER_OF[format],
  tagFormat: format,
  prefix: 'pré',
  suffix: 'sü',
  tags: { env: 'prod' },
});

/** A name whose line `incr(name)` is exactly `size` bytes (measured on a fresh client). */
function fitting(format: TagFormat, name: string, size: number): string {
  const one = createTestClient({ ...named(format), aggregate: false });
  one.incr(`${name}-fit`);
  return `${name}-fit${'p'.repeat(size - Buffer.byteLength(one.lines[0] ?? ''))}`;
}

const sizes = (lines: string[]): number[] => lines.map((l) => Buffer.byteLength(l));

/** Calls whose lines are compared with those of a client whose cache is empty. */
function call(s: StatsClient, name: string, i: number): void {
  if (i % 5 === 0) s.incr(name, 1);
  else if (i % 5 === 1) s.gauge(name, -2);
  else if (i % 5 === 2) s.timing(name, 1.5, { tags: { k: 'v' } });
  else if (i % 5 === 3) s.set(name, 'zoë');
  else s.gaugeDelta(name, 3);
}

describe('names written straight into the packet', () => {
  test.each(FORMATS)('a full name cache (raw mode), tagFormat %s', async (format) => {
    const { stats, rec, errors } = client({ ...named(format), aggregate: false, maxPacketSize: 512 });
    const names = Array.from({ length: 12_000 }, (_, i) => (i < 10_000 ? `n${i}` : `${SPECIAL[i % 10]}${i}`));
    for (let r = 0; r < 40; r++) names.push(...SPECIAL); // some admitted (1 in 16), then cached
    let ref = createTestClient({ ...named(format), aggregate: false });
    const want: string[] = [];
    names.forEach((name, i) => {
      call(stats, name, i);
      if (i % 2000 === 0) {
        want.push(...ref.lines);
        ref = createTestClient({ ...named(format), aggregate: false }); // its cache never fills
      }
      call(ref, name, i);
    });
    want.push(...ref.lines);
    await stats.flush();
    expect(errors).toEqual([]);
    expect(rec.bad).toEqual([]);
    const lines = rec.lines();
    expect(lines.length).toBe(want.length);
    expect(lines.filter((l, i) => l !== want[i]).slice(0, 5)).toEqual([]);
    expect(lines.some((l) => l.includes('\ufffd'))).toBe(true);
    // byte-exact: a new name whose line is exactly maxPacketSize is sent, one byte more is too large
    for (const sp of SPECIAL) {
      const fit = fitting(format, sp, 512);
      stats.incr(fit);
      stats.incr(`${fit}p`);
    }
    await stats.flush();
    expect(sizes(rec.lines().slice(want.length))).toEqual(SPECIAL.map(() => 512));
    expect(errors.map((e) => e.code)).toEqual(SPECIAL.map(() => ErrorCodes.LINE_TOO_LARGE));
  });

  test.each(FORMATS)(
    'aggregated counters, negative gauges and multi-value timers, tagFormat %s',
    async (format) => {
      const { stats, rec, errors } = client({ ...named(format), maxPacketSize: 256 });
      const names = [...SPECIAL, ...Array.from({ length: 300 }, (_, i) => `${SPECIAL[i % 10]}${i}`)];
      for (const v of [1, 2.5]) {
        for (const name of names) {
          stats.incr(name, v);
          stats.gauge(name, -v);
          stats.timing(name, v);
        }
      }
      await stats.flush();
      const ref = createTestClient({ ...named(format), aggregate: false });
      const want: string[] = [];
      for (const name of names) {
        ref.incr(name, 3.5);
        ref.gauge(name, -2.5);
        ref.timing(name, 1);
        const [counter = '', zero = '', gauge = '', timer = ''] = ref.lines.slice(-4);
        const head = timer.slice(0, timer.indexOf(':'));
        const tail = timer.slice(timer.indexOf('|'));
        want.push(counter, zero, gauge);
        want.push(format === 'datadog' ? `${head}:1:2.5${tail}` : `${head}:1${tail}:2.5${tail}`);
      }
      expect(errors).toEqual([]);
      expect(rec.bad).toEqual([]);
      expect(rec.lines()).toEqual(want);
      // the 0|g that goes before a negative gauge is in the same packet
      expect(rec.packets.filter((p) => /^[^\n]*:-2\.5\|g/.test(p))).toEqual([]);
      // byte-exact: a held counter whose line is exactly maxPacketSize is sent, one byte more is too large
      for (const sp of SPECIAL) {
        stats.incr(fitting(format, sp, 256));
        stats.incr(`${fitting(format, sp, 256)}p`);
      }
      await stats.flush();
      expect(sizes(rec.lines().slice(-SPECIAL.length))).toEqual(SPECIAL.map(() => 256));
      expect(errors.map((e) => e.code)).toEqual(SPECIAL.map(() => ErrorCodes.LINE_TOO_LARGE));
    },
  );
});

describe('multi-value lines at the real etsy statsd daemon', () => {
  async function run(options: ClientOptions, p: string, check: (d: StatsdDaemon) => Promise<void>) {
    const daemon = await startStatsd({ flushInterval: 250 });
    try {
      const stats = new StatsClient({ port: daemon.udpPort, prefix: p, ...options });
      await daemon.nextFlush();
      for (let i = 0; i < 1000; i++) stats.timing(`t${i % 10}`, (i % 97) + 1);
      await stats.close();
      await check(daemon);
    } finally {
      await daemon.stop();
    }
  }
  /** count and sum per timer that 1 000 timings over 10 names make. */
  const expected = Array.from({ length: 10 }, (_, k) => {
    let sum = 0;
    for (let i = k; i < 1000; i += 10) sum += (i % 97) + 1;
    return { name: `t${k}`, count: 100, sum };
  });

  /** Every timer's count and sum at the daemon are what the 1 000 timings made; no bad line. */
  async function everySampleCounted(d: StatsdDaemon, p: string): Promise<void> {
    const got = (path: string): number => d.sum(`stats.timers.${p}.${path}`);
    await waitUntil(
      () => expected.every((t) => got(`${t.name}.count`) === 100),
      10_000,
      `every timer count at 100:\n${d.output()}`,
    );
    expect(
      expected.map((t) => ({ name: t.name, count: got(`${t.name}.count`), sum: got(`${t.name}.sum`) })),
    ).toEqual(expected);
    await d.nextFlush();
    expect(d.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
  }

  test("server: 'etsy' with default aggregation: every sample counted, no bad line", async () => {
    await run({ server: 'etsy' }, 'mv15', async (d) => {
      await everySampleCounted(d, 'mv15');
    });
  }, 30_000);

  test('default options (one value per line since issue 21): every sample counted, no bad line', async () => {
    await run({}, 'dd15', async (d) => {
      await everySampleCounted(d, 'dd15');
    });
  }, 30_000);
});
