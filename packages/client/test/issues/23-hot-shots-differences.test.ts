/**
 * Regression (issue 23, items 1–10): what a user switching from hot-shots 17 still hit. Items 1–9 are
 * differential: the same calls through the real hot-shots 17.1.1 and `@statskit/client/hot-shots`, each
 * to its own loopback UDP receiver, bytes compared — equal, or the difference docs/migrating.md
 * documents (item 4: hot-shots' Telegraf lines that Telegraf cannot parse).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLine, StatsClient } from '@statskit/client';
import StatsD from '@statskit/client/hot-shots';
import HotShots from 'hot-shots';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

type Drive = (c: StatsD) => void;

const NO_DD = { includeDataDogTags: false } as const;

/** Run `drive` on a client made by `make` against a fresh receiver; the packets it received. */
async function packetsOf(make: (port: number) => unknown, drive: Drive, settle = 150): Promise<string[]> {
  const rx = await udpReceiver();
  const c = make(rx.port) as StatsD;
  drive(c);
  await new Promise((r) => setTimeout(r, settle));
  await new Promise<void>((resolve) => c.close(() => resolve()));
  await new Promise((r) => setTimeout(r, 20));
  await rx.close();
  return rx.packets.map((p) => p.text);
}

/** The same calls through hot-shots and the compat class, built from the same constructor arguments. */
async function both(args: (port: number) => unknown[], drive: Drive, settle?: number) {
  const Hs = HotShots as unknown as new (...a: unknown[]) => StatsD;
  const theirs = await packetsOf((port) => new Hs(...args(port)), drive, settle);
  const mine = await packetsOf(
    (port) => new (StatsD as unknown as new (...a: unknown[]) => StatsD)(...args(port)),
    drive,
    settle,
  );
  const lines = (packets: string[]) => packets.flatMap((p) => p.split('\n'));
  return { theirs, mine, theirLines: lines(theirs), myLines: lines(mine) };
}

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  vi.restoreAllMocks();
});

test('item 1: DD_DOGSTATSD_URL=udp://127.0.0.1:PORT with new StatsD({}) sends to PORT, as hot-shots does', async () => {
  for (const Client of [HotShots as unknown as typeof StatsD, StatsD]) {
    const rx = await udpReceiver();
    process.env['DD_DOGSTATSD_URL'] = `udp://127.0.0.1:${rx.port}`;
    const c = new Client({ datadog: false, ...NO_DD } as ConstructorParameters<typeof StatsD>[0]);
    c.increment('via.url');
    await rx.waitForLines(1);
    expect(rx.lines, Client.name).toEqual(['via.url:1|c']);
    await new Promise<void>((resolve) => c.close(() => resolve()));
    await rx.close();
  }
});

test('item 2: the positional constructor (host, port, prefix) is read as hot-shots reads it', async () => {
  const r = await both(
    (port) => ['127.0.0.1', port, 'myapp'],
    (c) => {
      c.increment('requests');
      c.gauge('depth', 3, ['q:1']);
    },
  );
  expect(r.theirLines).toEqual(['myapp.requests:1|c', 'myapp.depth:3|g|#q:1']);
  expect(r.myLines).toEqual(r.theirLines);
});

test('item 3: event() with a numeric date_happened or a numeric text sends what hot-shots sends', async () => {
  const errors: Error[] = [];
  const r = await both(
    (port) => [{ port, ...NO_DD, datadog: false, errorHandler: (e: Error) => errors.push(e) }],
    (c) => {
      expect(() => c.event('deploy', 'done', { date_happened: 1700000000 })).not.toThrow();
      c.event('build', 42);
      c.check('svc', 0, { date_happened: 1700000000.4 });
    },
  );
  expect(r.theirLines).toEqual([
    '_e{6,4}:deploy|done|d:1700000000',
    '_e{5,2}:build|42',
    '_sc|svc|0|d:1700000000',
  ]);
  expect(r.myLines).toEqual(r.theirLines);
  expect(errors).toEqual([]);
});

describe('item 4: Telegraf tags are cleaned by what Telegraf’s statsd parser reads, no more', () => {
  const tags = { url: 'http://host:8080/a b', 'k=x': 'v=1', 'at@': 'x#y', q: 'a,b|c' };
  /**
   * Telegraf's statsd input (plugins/inputs/statsd): the line splits on every ':' (the first part is
   * the bucket), then on '|'; the bucket splits on ','; a tag splits at '=' and, with more than one,
   * the key is the first part and the value the rest. Tags as Telegraf would store them, or undefined
   * when Telegraf cannot parse the line.
   */
  function telegrafTags(line: string): Record<string, string> | undefined {
    const bits = line.split(':');
    if (bits.length !== 2) return undefined; // one value per line here: more ':' would be more values
    const fields = (bits[1] as string).split('|');
    if (fields.length < 2 || !['c', 'g', 's', 'ms', 'h', 'd'].includes(fields[1] as string)) return undefined;
    const out: Record<string, string> = {};
    for (const t of (bits[0] as string).split(',').slice(1)) {
      const parts = t.split('=');
      if (parts.length >= 2 && parts[0] !== '') out[parts[0] as string] = parts.slice(1).join('=');
    }
    return out;
  }

  test('the compat class keeps `=` in values, spaces, `@` and `#`; replaces what would split the line', async () => {
    const r = await both(
      (port) => [{ port, telegraf: true, ...NO_DD }],
      (c) => c.increment('req', 1, tags),
    );
    // hot-shots' own line: Telegraf cannot parse it (the ':' of the URL ends the bucket)
    expect(r.theirLines).toEqual(['req,url=http://host:8080/a b,k=x=v=1,at@=x#y,q=a_b_c:1|c']);
    expect(telegrafTags(r.theirLines[0] as string)).toBeUndefined();
    // documented in docs/migrating.md: `:` in a value and `=` in a key are replaced
    expect(r.myLines).toEqual(['req,url=http_//host_8080/a b,k_x=v=1,at@=x#y,q=a_b_c:1|c']);
    expect(telegrafTags(r.myLines[0] as string)).toEqual({
      url: 'http_//host_8080/a b',
      k_x: 'v=1',
      'at@': 'x#y',
      q: 'a_b_c',
    });
  });

  test("StatsClient's telegraf tag format cleans tags the same way", async () => {
    const rx = await udpReceiver();
    const stats = new StatsClient({ port: rx.port, tagFormat: 'telegraf', aggregate: false });
    stats.incr('req', 1, { tags });
    await stats.close();
    await rx.waitForLines(1);
    await rx.close();
    expect(rx.lines).toEqual(['req,url=http_//host_8080/a b,k_x=v=1,at@=x#y,q=a_b_c:1|c']);
    expect(parseLine(rx.lines[0] as string, 'telegraf')?.tags).toEqual(telegrafTags(rx.lines[0] as string));
  });
});

let unix:
  | { createSocket(type: 'unix_dgram', fn: (buf: Buffer) => void): { bind(p: string): void; close(): void } }
  | undefined;
try {
  unix = createRequire(import.meta.url)('unix-dgram');
} catch {
  // not built (npm skips dependencies' install scripts unless allowed): the UDS case is skipped
}

test.skipIf(unix === undefined)(
  'item 5: UDS maxBufferSize above 8192 is capped at 8192 with a warning, as hot-shots does',
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statskit-hs-'));
    const sizes: Record<string, number[]> = {};
    try {
      for (const [label, Client] of [
        ['hot-shots', HotShots as unknown as typeof StatsD],
        ['statskit', StatsD],
      ] as const) {
        const path = join(dir, `${label}.sock`);
        const got: number[] = [];
        const server = (unix as NonNullable<typeof unix>).createSocket('unix_dgram', (buf) =>
          got.push(buf.length),
        );
        server.bind(path);
        vi.spyOn(console, 'warn').mockImplementation(() => {});
        const warnings: Error[] = [];
        const c = new Client({
          protocol: 'uds',
          path,
          maxBufferSize: 10_000,
          datadog: false,
          ...NO_DD,
          errorHandler: (e: Error) => warnings.push(e),
        } as ConstructorParameters<typeof StatsD>[0]);
        for (let i = 0; i < 300; i++) c.increment(`metric.number.${String(i).padStart(4, '0')}`, i);
        await new Promise<void>((resolve) => c.close(() => resolve()));
        await new Promise((r) => setTimeout(r, 50));
        server.close();
        sizes[label] = got;
        if (label === 'statskit') expect(warnings.map((w) => w.message).join()).toMatch(/above 8192/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(Math.max(...(sizes['hot-shots'] as number[]))).toBeLessThanOrEqual(8192);
    expect(Math.max(...(sizes['statskit'] as number[]))).toBeLessThanOrEqual(8192);
    expect(sizes['statskit']).toEqual(sizes['hot-shots']);
  },
);

test('item 6: the timestamp option goes on timing, histogram, distribution and set too', async () => {
  const r = await both(
    (port) => [{ port, ...NO_DD, datadog: false }],
    (c) => {
      c.timing('t', 100, { timestamp: 1656581400 });
      c.histogram('h', 1, { timestamp: 1656581400 });
      c.distribution('d', 2, { timestamp: new Date(1656581400_000) });
      c.set('s', 'm', { timestamp: 1656581400 });
    },
  );
  expect(r.theirLines).toEqual([
    't:100|ms|T1656581400',
    'h:1|h|T1656581400',
    'd:2|d|T1656581400',
    's:m|s|T1656581400',
  ]);
  expect(r.myLines).toEqual(r.theirLines);
});

test('item 7: the global_tags alias is read', async () => {
  const r = await both(
    (port) => [{ port, ...NO_DD, datadog: false, global_tags: ['legacy:1'] }],
    (c) => c.increment('x'),
  );
  expect(r.theirLines).toEqual(['x:1|c|#legacy:1']);
  expect(r.myLines).toEqual(r.theirLines);
});

test('item 8: tags in hot-shots’ order: global first, then the call’s keyed tags by key, then its flags', async () => {
  const r = await both(
    (port) => [{ port, ...NO_DD, datadog: false, globalTags: ['gtag:1', 'gtag:2', 'gflag'] }],
    (c) => {
      c.increment('a', 1, ['foo', 'bar']);
      c.increment('b', 1, { tags: ['foo', 'gtag:3', 'k:1', 'gtag:4', 'k:2'] });
      c.childClient({ globalTags: ['c', 'gtag:9'] }).increment('c', 1, ['d']);
    },
  );
  expect(r.theirLines).toEqual([
    'a:1|c|#gtag:1,gtag:2,gflag,foo,bar',
    'b:1|c|#gflag,gtag:3,gtag:4,k:1,k:2,foo',
    'c:1|c|#gflag,gtag:9,c,d',
  ]);
  expect(r.myLines).toEqual(r.theirLines);
});

test('item 9: a small maxBufferSize is never exceeded: the same packets as hot-shots', async () => {
  const r = await both(
    (port) => [{ port, ...NO_DD, datadog: false, maxBufferSize: 30 }],
    (c) => {
      for (const n of ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta']) c.increment(`svc.${n}`, 12);
    },
  );
  expect(r.theirs.length).toBeGreaterThan(1);
  for (const p of r.mine) expect(Buffer.byteLength(p), p).toBeLessThanOrEqual(30);
  expect(r.mine).toEqual(r.theirs);
});

test('item 10: an unknown option says "unknown option" and names the closest one', async () => {
  const errors: Error[] = [];
  const c = new StatsD({
    hots: '127.0.0.1',
    prefx: 'app',
    mock: true,
    errorHandler: (e: Error) => errors.push(e),
  } as unknown as ConstructorParameters<typeof StatsD>[0]);
  await new Promise((r) => setTimeout(r, 5));
  c.close();
  expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['STATSKIT_ERR_UNKNOWN_OPTION']);
  expect(errors[0]?.message).toMatch(
    /unknown options "hots" \(did you mean "host"\?\), "prefx" \(did you mean "prefix"\?\)/,
  );
});

test('item 11 (documented in docs/migrating.md): with DD_* set, the tags only: no |c: field, no telemetry', async () => {
  process.env['DD_ENV'] = 'prod';
  process.env['DD_SERVICE'] = 'api';
  const rx = await udpReceiver();
  const c = new StatsD({ port: rx.port });
  c.increment('x');
  await new Promise<void>((resolve) => c.close(() => resolve()));
  await new Promise((r) => setTimeout(r, 50));
  await rx.close();
  expect(rx.lines).toEqual(['x:1|c|#env:prod,service:api']);
});

test('increment with the value left out in any form counts 1, as hot-shots does', async () => {
  const r = await both(
    (port) => [{ port, ...NO_DD, datadog: false }],
    (c) => {
      c.increment('a', ['t:1']);
      c.increment('b', undefined as unknown as number, ['t:2']);
      c.increment('c', null as unknown as number, 0.99999999);
      c.decrement('d', ['t:3']);
      c.decrement('e', undefined as unknown as number, ['t:4']);
    },
  );
  expect(r.theirLines).toEqual([
    'a:1|c|#t:1',
    'b:1|c|#t:2',
    'c:1|c|@0.99999999',
    'd:-1|c|#t:3',
    'e:-1|c|#t:4',
  ]);
  expect(r.myLines).toEqual(r.theirLines);
});
