/**
 * Regression (issue 12, item 12): `port: '8125'` straight from an environment variable was rejected with a
 * message that printed 8125, as if it were the number; the sampleRate message gave [0, 1] as the range
 * when 0 is refused; a typo such as `prefx` or `hots` was silently ignored; and a value whose toString
 * throws made option validation throw that instead of InvalidOptionError.
 */
import { type ClientOptions, InvalidOptionError, StatsClient, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, test, vi } from 'vitest';
import { thrownBy } from '../helpers/client.js';
import { udpReceiver } from '../helpers/udp-receiver.js';

const noop = { send() {}, flush: async () => {}, close: async () => {} };

function messageOf(options: unknown): string {
  const err = thrownBy(() => new StatsClient({ transport: noop, ...(options as ClientOptions) }));
  expect(err).toBeInstanceOf(InvalidOptionError);
  return (err as Error).message;
}

describe('port', () => {
  test("port: '8125' as a string (from an env var) is accepted and used", async () => {
    await using rx = await udpReceiver();
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      host: rx.address,
      port: String(rx.port),
      batching: false,
      onError: (e) => errors.push(e),
    });
    stats.incr('from_env_port');
    await rx.waitFor(() => rx.lines.length >= 1);
    expect(rx.lines).toEqual(['from_env_port:1|c']);
    await stats.close();
    expect(errors).toEqual([]);
  });

  test.each([
    ['8125abc', '"8125abc"'],
    ['', '""'],
    [' ', '" "'],
    [' 8125', '" 8125"'],
    ['+8125', '"+8125"'],
    ['1e3', '"1e3"'],
    ['0x1F', '"0x1F"'],
    ['80.5', '"80.5"'],
    ['70000', '"70000"'],
    ['0', '"0"'],
  ])('port %j is rejected, and the message shows it as a string: %s', (port, shown) => {
    const message = messageOf({ port });
    expect(message).toContain(`got ${shown}`);
    expect(message).toContain('[1, 65535]');
  });

  test('a number out of range is shown unquoted, so 8125 and "8125" never look alike', () => {
    expect(messageOf({ port: 70_000 })).toMatch(/got 70000$/);
    expect(messageOf({ port: 80.5 })).toMatch(/got 80\.5$/);
  });

  test('STATSD_PORT takes digits only too, and says what it got', () => {
    expect(messageOf({ env: { STATSD_PORT: '0x1F90' } })).toMatch(/^statskit: STATSD_PORT .* got "0x1F90"$/);
  });
});

describe('sampleRate', () => {
  test.each([
    [2, 'got 2'],
    [0, 'got 0'],
    [-0.5, 'got -0.5'],
    [Number.NaN, 'got NaN'],
    ['0.5', 'got "0.5"'],
  ])('sampleRate %j: the message states (0, 1], the real range, and the value (%s)', (sampleRate, got) => {
    const message = messageOf({ sampleRate });
    expect(message).toContain('(0, 1]');
    expect(message).not.toContain('[0, 1]');
    expect(message).toContain(got);
  });

  test('child sampleRate: the same range, and a string is shown quoted', () => {
    const stats = createTestClient();
    const err = thrownBy(() => stats.child({ sampleRate: '0.5' as never }));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as Error).message).toBe('statskit: child sampleRate must be a number in (0, 1], got "0.5"');
  });
});

describe('values whose toString throws still give InvalidOptionError', () => {
  const hostile = {
    toString() {
      throw new Error('toString ran');
    },
    [Symbol.toPrimitive]() {
      throw new Error('toPrimitive ran');
    },
  };
  test.each([
    'port',
    'sampleRate',
    'protocol',
    'tagFormat',
    'udsFraming',
    'host',
    'prefix',
    'flushInterval',
    'maxPacketSize',
  ])('%s', (key) => {
    expect(messageOf({ [key]: hostile })).toMatch(/got <object>$/);
  });

  test('child prefix and sampleRate', () => {
    const stats = createTestClient();
    for (const options of [{ prefix: hostile }, { sampleRate: hostile }]) {
      const err = thrownBy(() => stats.child(options as never));
      expect(err).toBeInstanceOf(InvalidOptionError);
      expect((err as Error).message).toMatch(/got <object>$/);
    }
  });

  test('tags (of the client and of a child) with such a value: InvalidOptionError', () => {
    for (const tags of [{ k: hostile }, [hostile]]) {
      const err = thrownBy(() => new StatsClient({ transport: noop, tags: tags as never }));
      expect(err, JSON.stringify(tags)).toBeInstanceOf(InvalidOptionError);
      const childErr = thrownBy(() => createTestClient().child({ tags: tags as never }));
      expect(childErr, JSON.stringify(tags)).toBeInstanceOf(InvalidOptionError);
    }
  });

  test('a getter that throws while the options are read: InvalidOptionError with the cause', () => {
    const boom = new Error('getter ran');
    const options = Object.defineProperty({}, 'port', {
      enumerable: true,
      get() {
        throw boom;
      },
    });
    const err = thrownBy(() => new StatsClient(options));
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect((err as Error).cause).toBe(boom);
  });
});

describe('unknown option keys', () => {
  const collect = (options: Record<string, unknown>): { stats: StatsClient; errors: StatsError[] } => {
    const errors: StatsError[] = [];
    const stats = new StatsClient({ transport: noop, ...options, onError: (e) => errors.push(e) });
    return { stats, errors };
  };

  test('`prefx` and `hots`: one coded warning per construction, naming the closest valid keys; the client works', async () => {
    const { stats, errors } = collect({ prefx: 'app', hots: 'statsd.local' });
    await Promise.resolve(); // reported once the constructor has returned
    expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_UNKNOWN_OPTION']);
    expect(errors[0]?.message).toBe(
      'statskit: unknown options "prefx" (did you mean "prefix"?), "hots" (did you mean "host"?); ignored',
    );
    expect(stats.telemetry().errors).toBe(1);
    await stats.close();
    expect(errors).toHaveLength(1);
  });

  test('case and swapped letters are found; a key like no option says so', async () => {
    const { errors } = collect({ samplerate: 0.5, flushInetrval: 10, logger: console });
    await Promise.resolve();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe(
      'statskit: unknown options "samplerate" (did you mean "sampleRate"?), "flushInetrval" (did you mean "flushInterval"?), "logger" (no option has a similar name); ignored',
    );
  });

  test('an onError that uses the client it was given to finds it constructed', async () => {
    const seen: unknown[] = [];
    const stats: StatsClient = new StatsClient({
      transport: noop,
      prefx: 'x',
      onError: () => seen.push(stats.closed),
    } as ClientOptions);
    await Promise.resolve();
    expect(seen).toEqual([false]);
  });

  test('with the default onError: one process warning with the code', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      new StatsClient({ transport: noop, prefx: 'app' } as ClientOptions);
      await Promise.resolve();
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning.mock.calls[0]?.[0]).toContain('did you mean "prefix"?');
      expect(emitWarning.mock.calls[0]?.[1]).toMatchObject({ code: 'STATSKIT_ERR_UNKNOWN_OPTION' });
    } finally {
      emitWarning.mockRestore();
    }
  });

  test('child(): an unknown key is reported once, naming the closest child option', async () => {
    const stats = createTestClient();
    const child = stats.child({ prefx: 'db', tag: { a: 1 } } as never);
    await Promise.resolve();
    expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_UNKNOWN_OPTION']);
    expect(stats.errors[0]?.message).toBe(
      'statskit: unknown child options "prefx" (did you mean "prefix"?), "tag" (did you mean "tags"?); ignored',
    );
    child.incr('x');
    expect(stats.lines).toEqual(['x:1|c']);
  });

  test('valid options (every one of them) warn about nothing', async () => {
    const { stats, errors } = collect({
      host: '127.0.0.1',
      port: 8125,
      family: 0,
      protocol: 'udp',
      path: undefined,
      udsFraming: 'newline',
      prefix: 'a',
      suffix: 'b',
      tags: { env: 'test' },
      tagFormat: 'datadog',
      sampleRate: 1,
      maxPacketSize: 1432,
      batching: true,
      flushInterval: 100,
      onErrorInterval: 0,
      random: Math.random,
      maxQueueBytes: 1024,
      dnsTtl: 0,
      closeTimeout: 100,
      aggregate: false,
      telemetryInterval: 0,
      env: {},
    });
    stats.child({ prefix: 'p', suffix: 's', tags: ['k:v'], sampleRate: 1 });
    await Promise.resolve();
    expect(errors).toEqual([]);
    await stats.close();
  });
});
