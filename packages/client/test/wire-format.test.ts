/**
 * Every wire format, byte for byte, as a statsd server receives it over a real UDP socket on loopback.
 */
import type { ClientOptions, StatsClient, TagFormat } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { drain, udpClient } from './helpers/client.js';
import { type UdpReceiver, udpReceiver } from './helpers/udp-receiver.js';

let rx: UdpReceiver;
beforeAll(async () => {
  rx = await udpReceiver();
});
afterAll(() => rx.close());

/** Run `calls` on a fresh client and return the packets the receiver got, as strings. */
async function send(options: ClientOptions, calls: (s: StatsClient) => void): Promise<string[]> {
  await using c = udpClient(rx, options);
  calls(c.stats);
  const packets = await drain(c.stats, rx);
  expect(c.errors).toEqual([]);
  return packets.map((p) => p.text);
}

describe('metric types, one packet per call (batching: false)', () => {
  const cases: [string, (s: StatsClient) => void, string][] = [
    ['incr', (s) => s.incr('a'), 'a:1|c'],
    ['incr by 5', (s) => s.incr('a', 5), 'a:5|c'],
    ['incr by 0.5', (s) => s.incr('a', 0.5), 'a:0.5|c'],
    ['decr', (s) => s.decr('a'), 'a:-1|c'],
    ['decr by 3', (s) => s.decr('a', 3), 'a:-3|c'],
    ['gauge', (s) => s.gauge('g', 42), 'g:42|g'],
    ['gauge 0', (s) => s.gauge('g', 0), 'g:0|g'],
    ['gauge fraction', (s) => s.gauge('g', 0.75), 'g:0.75|g'],
    ['negative gauge: reset to 0, then the value, in one packet', (s) => s.gauge('g', -5), 'g:0|g\ng:-5|g'],
    ['gaugeDelta up', (s) => s.gaugeDelta('g', 3), 'g:+3|g'],
    ['gaugeDelta down', (s) => s.gaugeDelta('g', -3), 'g:-3|g'],
    ['gaugeDelta 0', (s) => s.gaugeDelta('g', 0), 'g:+0|g'],
    ['timing', (s) => s.timing('t', 12.5), 't:12.5|ms'],
    ['histogram', (s) => s.histogram('h', 7), 'h:7|ms'], // no server named: the portable form (|h with server: 'dogstatsd')
    ['distribution', (s) => s.distribution('d', 0.25), 'd:0.25|ms'],
    ['set with a number', (s) => s.set('u', 42), 'u:42|s'],
    ['set with a string', (s) => s.set('u', 'user-1'), 'u:user-1|s'],
    ['set member is sanitized', (s) => s.set('u', 'a:b|c\n#d@e\rf'), 'u:a_b_c__d_e_f|s'],
    ['set member in UTF-8', (s) => s.set('u', 'José 日本'), 'u:José 日本|s'],
  ];
  test.each(cases)('%s', async (_label, call, expected) => {
    expect(await send({ batching: false }, call)).toEqual([expected]);
  });

  test('every metric is its own packet', async () => {
    const packets = await send({ batching: false }, (s) => {
      s.incr('a');
      s.timing('t', 1);
      s.gauge('g', -2);
      s.set('u', 'x');
    });
    expect(packets).toEqual(['a:1|c', 't:1|ms', 'g:0|g\ng:-2|g', 'u:x|s']);
  });
});

describe('batched', () => {
  test('lines are joined by \\n in call order', async () => {
    const packets = await send({}, (s) => {
      s.incr('a');
      s.decr('b');
      s.gaugeDelta('c', 2);
      s.timing('d', 3);
    });
    expect(packets).toEqual(['a:1|c\nb:-1|c\nc:+2|g\nd:3|ms']);
  });

  test('a negative gauge keeps its reset line next to it, with tags on both', async () => {
    const packets = await send({ tags: { k: 'v' } }, (s) => {
      s.incr('a');
      s.gauge('g', -5);
      s.incr('b');
    });
    expect(packets).toEqual(['a:1|c|#k:v\ng:0|g|#k:v\ng:-5|g|#k:v\nb:1|c|#k:v']);
  });

  test('a negative gauge is never split across packets', async () => {
    // 'g:0|g\ng:-5|g' is 13 bytes; after 'aaaaaaaa:1|c' (12) only 7 bytes are left in a 32-byte packet.
    const packets = await send({ maxPacketSize: 32 }, (s) => {
      s.incr('aaaaaaaa');
      s.incr('bbbbbbbb');
      s.gauge('g', -5);
    });
    expect(packets).toEqual(['aaaaaaaa:1|c\nbbbbbbbb:1|c', 'g:0|g\ng:-5|g']);
  });
});

describe('sample rates', () => {
  /** A random source that returns `values` in turn, then fails the test if asked again. */
  function sequence(...values: number[]): () => number {
    let i = 0;
    return () => {
      const v = values[i++];
      if (v === undefined) throw new Error('random() called more often than expected');
      return v;
    };
  }

  test('|@rate only on the lines that were sent', async () => {
    let c: { sampledOut: number } = { sampledOut: 0 };
    const packets = await send({ random: sequence(0.1, 0.9, 0.49, 0.5) }, (s) => {
      s.incr('a', 1, { rate: 0.5 }); // 0.1 < 0.5: sent
      s.incr('b', 1, { rate: 0.5 }); // 0.9: dropped
      s.timing('c', 2, { rate: 0.5 }); // 0.49: sent
      s.gauge('d', 3, { rate: 0.5 }); // 0.5 is not < 0.5: dropped
      c = s.telemetry();
    });
    expect(packets).toEqual(['a:1|c|@0.5\nc:2|ms|@0.5']);
    expect(c.sampledOut).toBe(2);
  });

  test('the client sampleRate applies to every call; a per-call rate overrides it', async () => {
    const packets = await send({ sampleRate: 0.5, random: sequence(0.2, 0.05) }, (s) => {
      s.incr('a'); // 0.2 < 0.5
      s.incr('b', 1, { rate: 0.1 }); // 0.05 < 0.1
      s.incr('c', 1, { rate: 1 }); // rate 1: random() is not consulted
    });
    expect(packets).toEqual(['a:1|c|@0.5\nb:1|c|@0.1\nc:1|c']);
  });

  test('the rate goes before DogStatsD tags and after Telegraf tags', async () => {
    const random = (): number => 0;
    expect(await send({ tags: { k: 'v' }, random }, (s) => s.incr('a', 1, { rate: 0.25 }))).toEqual([
      'a:1|c|@0.25|#k:v',
    ]);
    expect(
      await send({ tags: { k: 'v' }, tagFormat: 'telegraf', random }, (s) => s.incr('a', 1, { rate: 0.25 })),
    ).toEqual(['a,k=v:1|c|@0.25']);
  });

  test.each([0, -0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0.5'])(
    'an invalid per-call rate (%s) is reported and nothing is sent',
    async (rate) => {
      await using c = udpClient(rx, { random: () => 0 });
      c.stats.incr('a', 1, { rate: rate as number });
      expect(c.codes()).toEqual(['STATSKIT_ERR_INVALID_RATE']);
      expect(await drain(c.stats, rx)).toEqual([]);
      expect(c.stats.telemetry().droppedBy.invalid).toBe(1);
    },
  );
});

describe('prefix and suffix are joined with exactly one dot', () => {
  test.each([
    [{ prefix: 'app' }, 'app.hits:1|c'],
    [{ prefix: 'app.' }, 'app.hits:1|c'],
    [{ prefix: 'my.app' }, 'my.app.hits:1|c'],
    [{ suffix: 'host1' }, 'hits.host1:1|c'],
    [{ suffix: '.host1' }, 'hits.host1:1|c'],
    [{ prefix: 'app.', suffix: '.host1' }, 'app.hits.host1:1|c'],
    [{ prefix: '', suffix: '' }, 'hits:1|c'],
  ] as [ClientOptions, string][])('%o', async (options, expected) => {
    expect(await send(options, (s) => s.incr('hits'))).toEqual([expected]);
  });

  test('a reserved character in the prefix is replaced, not sent', async () => {
    expect(await send({ prefix: 'a:b|c' }, (s) => s.incr('hits'))).toEqual(['a_b_c.hits:1|c']);
  });
});

describe('tags', () => {
  const formats: [TagFormat, string, string][] = [
    ['datadog', 'a:1|c|#env:prod,canary,route:/a,v:2', 'a:-1|c|#env:prod,canary'],
    ['telegraf', 'a,env=prod,canary=true,route=/a,v=2:1|c', 'a,env=prod,canary=true:-1|c'],
    ['graphite', 'a;env=prod;canary=true;route=/a;v=2:1|c', 'a;env=prod;canary=true:-1|c'],
    ['none', 'a:1|c', 'a:-1|c'],
  ];

  test.each(formats)(
    '%s: global tags (object) plus per-call tags',
    async (tagFormat, withCall, globalOnly) => {
      const packets = await send({ tagFormat, tags: { env: 'prod', canary: true } }, (s) => {
        s.incr('a', 1, { tags: { route: '/a', v: 2 } });
        s.decr('a');
      });
      expect(packets).toEqual([`${withCall}\n${globalOnly}`]);
    },
  );

  test.each(formats)(
    '%s: global tags (array) plus per-call tags (array)',
    async (tagFormat, withCall, globalOnly) => {
      const packets = await send({ tagFormat, tags: ['env:prod', 'canary'] }, (s) => {
        s.incr('a', 1, { tags: ['route:/a', 'v:2'] });
        s.decr('a');
      });
      expect(packets).toEqual([`${withCall}\n${globalOnly}`]);
    },
  );

  test.each([
    ['datadog', 'a:1|c|#route:/a,flag'],
    ['telegraf', 'a,route=/a,flag=true:1|c'],
    ['graphite', 'a;route=/a;flag=true:1|c'],
    ['none', 'a:1|c'],
  ] as [TagFormat, string][])('%s: per-call tags without global tags', async (tagFormat, expected) => {
    expect(await send({ tagFormat }, (s) => s.incr('a', 1, { tags: { route: '/a', flag: true } }))).toEqual([
      expected,
    ]);
  });

  test.each([
    ['datadog', 'a:1|c|#env:dev,region:eu'],
    ['telegraf', 'a,env=dev,region=eu:1|c'],
    ['graphite', 'a;env=dev;region=eu:1|c'],
  ] as [TagFormat, string][])(
    '%s: a per-call tag wins over a global tag with the same key',
    async (tagFormat, expected) => {
      const packets = await send({ tagFormat, tags: { env: 'prod', region: 'eu' } }, (s) => {
        s.incr('a', 1, { tags: { env: 'dev' } });
        s.incr('a', 1, { tags: ['env:dev'] });
      });
      expect(packets).toEqual([`${expected}\n${expected}`]);
    },
  );

  test('tags on every metric type (datadog)', async () => {
    const packets = await send({ tags: { k: 'v' }, batching: false }, (s) => {
      const tags = { t: '1' };
      s.incr('c', 1, { tags });
      s.gauge('g', 1, { tags });
      s.gaugeDelta('g', 1, { tags });
      s.timing('ms', 1, { tags });
      s.histogram('h', 1, { tags });
      s.distribution('d', 1, { tags });
      s.set('s', 'm', { tags });
    });
    expect(packets).toEqual([
      'c:1|c|#k:v,t:1',
      'g:1|g|#k:v,t:1',
      'g:+1|g|#k:v,t:1',
      'ms:1|ms|#k:v,t:1',
      'h:1|ms|#k:v,t:1',
      'd:1|ms|#k:v,t:1',
      's:m|s|#k:v,t:1',
    ]);
  });

  test('false, null and undefined tag values are left out', async () => {
    const tags = { a: false, b: undefined, c: 'x' } as unknown as Record<string, string>;
    expect(await send({}, (s) => s.incr('a', 1, { tags }))).toEqual(['a:1|c|#c:x']);
  });
});
