/**
 * Options: validated once at construction (InvalidOptionError, code STATSKIT_ERR_INVALID_OPTION),
 * defaults applied with `??` (a falsy value the user chose is kept), STATSD_* from the environment,
 * and IPv6.
 */
import { type ClientOptions, InvalidOptionError, StatsClient, StatsError } from '@statskit/client';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { drain, thrownBy, udpClient } from './helpers/client.js';
import { type UdpReceiver, udpReceiver } from './helpers/udp-receiver.js';

let rx: UdpReceiver;
beforeAll(async () => {
  rx = await udpReceiver();
});
afterAll(() => rx.close());

/** A transport that records nothing: for options that do not need a socket. */
const noop = { send() {}, flush: async () => {}, close: async () => {} };

describe('invalid options throw InvalidOptionError at construction', () => {
  const cases: [string, unknown][] = [
    ['sampleRate 0', { sampleRate: 0 }],
    ['sampleRate 2', { sampleRate: 2 }],
    ['sampleRate -0.5', { sampleRate: -0.5 }],
    ['sampleRate NaN', { sampleRate: Number.NaN }],
    ['sampleRate as a string', { sampleRate: '0.5' }],
    ['port 0', { port: 0 }],
    ['port 70000', { port: 70_000 }],
    ['port 65536', { port: 65_536 }],
    ['port 80.5', { port: 80.5 }],
    ['port as a non-numeric string', { port: '8125x' }],
    ['port NaN', { port: Number.NaN }],
    ['tagFormat influx', { tagFormat: 'influx' }],
    ['tagFormat DATADOG', { tagFormat: 'DATADOG' }],
    ['protocol http', { protocol: 'http' }],
    ['maxPacketSize too big for UDP (65508)', { maxPacketSize: 65_508 }],
    ['maxPacketSize 1e9', { maxPacketSize: 1e9 }],
    ['maxPacketSize 0', { maxPacketSize: 0 }],
    ['maxPacketSize 15', { maxPacketSize: 15 }],
    ['maxPacketSize 1432.5', { maxPacketSize: 1432.5 }],
    ['flushInterval 0', { flushInterval: 0 }],
    ['flushInterval -1', { flushInterval: -1 }],
    ['flushInterval Infinity', { flushInterval: Number.POSITIVE_INFINITY }],
    ['host empty', { host: '' }],
    ['host a number', { host: 127 }],
    ['prefix a number', { prefix: 1 }],
    ['suffix an object', { suffix: {} }],
    ['tags a string', { tags: 'env:prod' }],
    ['tags null', { tags: null }],
    ['a tag that is not a string', { tags: ['ok', 42] }],
    ['a tag value that is an object', { tags: { k: {} } }],
    ['batching "yes"', { batching: 'yes' }],
    ['onError not a function', { onError: 'log' }],
    ['onErrorInterval -1', { onErrorInterval: -1 }],
    ['onErrorInterval as a string', { onErrorInterval: '1000' }],
    ['random not a function', { random: 0.5 }],
    ['transport without send()', { transport: {} }],
    ['family 5', { family: 5 }],
    ['closeTimeout -1', { closeTimeout: -1 }],
    ['maxQueueBytes -1', { maxQueueBytes: -1 }],
    ['STATSD_PORT not a number', { env: { STATSD_PORT: 'abc' } }],
    ['STATSD_PORT out of range', { env: { STATSD_PORT: '70000' } }],
    ['options null', null],
    ['options a string', 'localhost:8125'],
  ];
  test.each(cases)('%s', (_label, options) => {
    const err = thrownBy(() => new StatsClient(options as ClientOptions));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err).toBeInstanceOf(StatsError);
    expect(StatsError.is(err)).toBe(true);
    expect(err).toMatchObject({ name: 'InvalidOptionError', code: 'STATSKIT_ERR_INVALID_OPTION' });
    expect((err as Error).message).toMatch(/^statskit: /);
  });

  test('the limits themselves are accepted', () => {
    const ok: ClientOptions[] = [
      { sampleRate: 1 },
      { sampleRate: Number.MIN_VALUE },
      { port: 1 },
      { port: 65_535 },
      { maxPacketSize: 16 },
      { maxPacketSize: 65_507 },
      { maxPacketSize: 1 << 20, transport: noop }, // no UDP limit without a UDP socket
      { flushInterval: 1 },
      { tags: [] },
      { tags: {} },
      { tagFormat: 'none' },
    ];
    for (const options of ok) {
      expect(
        () => new StatsClient({ aggregate: false, onError: () => {}, ...options }),
        JSON.stringify(options),
      ).not.toThrow();
    }
  });

  test('child(): invalid options throw InvalidOptionError too', async () => {
    await using c = udpClient(rx);
    for (const options of [null, 'db', { prefix: 1 }, { suffix: [] }, { sampleRate: 0 }, { tags: [{}] }]) {
      const err = thrownBy(() => c.stats.child(options as never));
      expect(err, JSON.stringify(options)).toBeInstanceOf(InvalidOptionError);
    }
  });
});

describe('defaults apply only to undefined (??, not ||)', () => {
  test('sampleRate: 1 stays 1: every call sent, no |@ suffix, random() never consulted', async () => {
    const random = vi.fn(() => 0.999);
    await using c = udpClient(rx, { sampleRate: 1, random });
    for (let i = 0; i < 5; i++) c.stats.incr('a');
    expect((await drain(c.stats, rx)).map((p) => p.text)).toEqual([Array(5).fill('a:1|c').join('\n')]);
    expect(random).not.toHaveBeenCalled();
  });

  test("prefix: '' stays empty, even with STATSD_PREFIX in the environment", async () => {
    await using c = udpClient(rx, { prefix: '', env: { STATSD_PREFIX: 'fromenv' } });
    c.stats.incr('a');
    expect((await drain(c.stats, rx)).map((p) => p.text)).toEqual(['a:1|c']);
  });

  test('undefined options take the defaults', async () => {
    await using c = udpClient(rx, {
      prefix: undefined,
      suffix: undefined,
      tags: undefined,
      tagFormat: undefined,
      sampleRate: undefined,
      maxPacketSize: undefined,
      batching: undefined,
      env: {},
    });
    c.stats.incr('a', 1, { tags: { k: 'v' } }); // datadog tags by default
    c.stats.incr('b');
    expect((await drain(c.stats, rx)).map((p) => p.text)).toEqual(['a:1|c|#k:v\nb:1|c']);
  });

  test('the default maxPacketSize is 1432 bytes', async () => {
    await using c = udpClient(rx);
    for (let i = 0; i < 400; i++) c.stats.incr('abcdefgh'); // 12 bytes + '\n'
    const packets = await drain(c.stats, rx);
    // 110 lines: 110 × 12 + 109 = 1429; a 111th would make 1442
    expect(packets.map((p) => p.size)).toEqual([1429, 1429, 1429, 70 * 13 - 1]);
  });

  test('an explicit tag value of 0 or an empty string is kept', async () => {
    await using c = udpClient(rx, { tags: { zero: 0, empty: '' } });
    c.stats.incr('a');
    expect((await drain(c.stats, rx)).map((p) => p.text)).toEqual(['a:1|c|#zero:0,empty:']);
  });
});

describe('environment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  test('STATSD_HOST, STATSD_PORT and STATSD_PREFIX from the env option', async () => {
    const errors: unknown[] = [];
    const stats = new StatsClient({
      aggregate: false,
      env: { STATSD_HOST: '127.0.0.1', STATSD_PORT: String(rx.port), STATSD_PREFIX: 'fromenv' },
      onError: (e) => errors.push(e),
    });
    stats.incr('hits');
    expect((await drain(stats, rx)).map((p) => p.text)).toEqual(['fromenv.hits:1|c']);
    await stats.close();
    expect(errors).toEqual([]);
  });

  test('explicit options win over the environment', async () => {
    const elsewhere = await udpReceiver();
    try {
      await using c = udpClient(rx, {
        prefix: 'explicit',
        env: { STATSD_HOST: '127.0.0.2', STATSD_PORT: String(elsewhere.port), STATSD_PREFIX: 'fromenv' },
      });
      c.stats.incr('hits');
      expect((await drain(c.stats, rx)).map((p) => p.text)).toEqual(['explicit.hits:1|c']);
      expect(elsewhere.packets).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  test('process.env is read when no env option is given', async () => {
    vi.stubEnv('STATSD_HOST', '127.0.0.1');
    vi.stubEnv('STATSD_PORT', String(rx.port));
    vi.stubEnv('STATSD_PREFIX', 'proc');
    const stats = new StatsClient({ aggregate: false, onError: () => {} });
    stats.incr('hits');
    expect((await drain(stats, rx)).map((p) => p.text)).toEqual(['proc.hits:1|c']);
    await stats.close();
  });

  test('an empty STATSD_HOST or STATSD_PORT counts as unset', () => {
    expect(
      () =>
        new StatsClient({ aggregate: false, env: { STATSD_HOST: '', STATSD_PORT: '' }, onError: () => {} }),
    ).not.toThrow();
  });
});

describe('IPv6', () => {
  test("host '::1' sends to a udp6 receiver", async () => {
    await using rx6 = await udpReceiver('udp6');
    await using c = udpClient(rx6, { host: '::1', tags: { v: '6' } });
    c.stats.incr('six');
    c.stats.gauge('g', -1);
    expect((await drain(c.stats, rx6)).map((p) => p.text)).toEqual(['six:1|c|#v:6\ng:0|g|#v:6\ng:-1|g|#v:6']);
    expect(c.errors).toEqual([]);
  });

  test('a full IPv6 packet is still at most maxPacketSize bytes', async () => {
    await using rx6 = await udpReceiver('udp6');
    await using c = udpClient(rx6, { host: '::1', maxPacketSize: 100 });
    for (let i = 0; i < 50; i++) c.stats.incr('日本語');
    const packets = await drain(c.stats, rx6);
    expect(packets.length).toBeGreaterThan(1);
    for (const p of packets) expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(100);
  });
});
