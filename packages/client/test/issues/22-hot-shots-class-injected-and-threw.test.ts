/**
 * Regression (issue 22, item 3): the hot-shots class compared a per-call sample rate as a number and
 * printed it as a string, so a rate whose `toString` returns `'0.99\ninjected.metric:666|c'` (or the
 * string `'\n0.9\n'`) put a line of the caller's on the wire; `timestamp: Infinity` sent `|TInfinity`;
 * and tag `toString`s, getters, Proxies, BigInt/Symbol rates or timestamps and a non-Date
 * `date_happened` threw out of the call. Now every input gets StatsClient's treatment: the rate is read
 * once and must be a number, bad input is reported with a code, nothing throws.
 */
import StatsD from '@statskit/client/hot-shots';
import { parsePacket } from '@statskit/client/testing';
import { expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

const boom = (): never => {
  throw new Error('boom');
};

async function run(drive: (c: StatsD) => void): Promise<{ lines: string[]; codes: string[] }> {
  await using rx = await udpReceiver();
  const errors: Error[] = [];
  const c = new StatsD({
    port: rx.port,
    includeDataDogTags: false,
    errorHandler: (e) => errors.push(e),
  });
  drive(c);
  await new Promise<void>((resolve) => c.close(() => resolve()));
  await new Promise((r) => setTimeout(r, 30));
  for (const p of rx.packets) expect(parsePacket(p.text), p.text).not.toContain(undefined);
  return { lines: rx.lines, codes: errors.map((e) => (e as { code?: string }).code ?? 'none') };
}

test("a sampleRate whose toString returns '0.99\\ninjected.metric:666|c' injects no line", async () => {
  const evil = { toString: () => '0.99\ninjected.metric:666|c', valueOf: () => 0.99 };
  const r = await run((c) => {
    c.increment('ok', 1, { sampleRate: evil as unknown as number });
    // in the tags' place it is a tags object (as hot-shots reads it): its function values are no tags
    c.gauge('ok2', 1, evil as unknown as number);
    c.increment('ok3', 1, { sampleRate: '\n0.9\n' as unknown as number });
    c.increment('sent', 1, { sampleRate: 0.99999999 });
  });
  expect(r.lines.join('\n')).not.toContain('injected');
  expect(r.lines).toEqual(['ok2:1|g', 'sent:1|c|@0.99999999']);
  expect(r.codes).toEqual([
    'STATSKIT_ERR_INVALID_RATE',
    'STATSKIT_ERR_INVALID_TAG',
    'STATSKIT_ERR_INVALID_TAG',
    'STATSKIT_ERR_INVALID_RATE',
  ]);
});

test('timestamp: Infinity is never sent', async () => {
  const r = await run((c) => {
    c.increment('inf', 1, { timestamp: Number.POSITIVE_INFINITY });
    c.gauge('nan', 1, { timestamp: Number.NaN });
    c.gauge('ok', 1, { timestamp: 1700000000 });
  });
  expect(r.lines).toEqual(['ok:1|g|T1700000000']);
  expect(r.codes).toEqual(['STATSKIT_ERR_INVALID_VALUE', 'STATSKIT_ERR_INVALID_VALUE']);
});

test('throwing tag toString, getters, Proxies, BigInt/Symbol rate or timestamp, non-Date date_happened: no throw', async () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  const calls: ((c: StatsD) => void)[] = [
    (c) => c.increment('a', 1, { k: { toString: boom } } as never),
    (c) => c.increment('b', 1, ['x', { toString: boom }] as never),
    (c) =>
      c.increment('c', 1, {
        get tags(): never {
          return boom();
        },
      } as never),
    (c) => c.increment('d', 1, proxy as never),
    (c) => c.increment('e', 1, new Proxy({}, { ownKeys: boom }) as never),
    (c) => c.increment('f', 1, { sampleRate: 10n } as never),
    (c) => c.increment('g', 1, { sampleRate: Symbol('r') } as never),
    (c) => c.increment('h', 1, { timestamp: 10n } as never),
    (c) => c.increment('i', 1, { timestamp: Symbol('t') } as never),
    (c) => c.event('t', 'x', { date_happened: { getTime: boom } } as never),
    (c) => c.event('t', 'x', { date_happened: 'yesterday' } as never),
    (c) => c.check('c', 0, { date_happened: {} } as never),
    (c) => c.increment(proxy as never),
    (c) => c.timing('t', { valueOf: boom } as never),
  ];
  const r = await run((c) => {
    for (const call of calls) expect(() => call(c)).not.toThrow();
  });
  // tags that cannot be read are dropped (the metric goes out); everything else is refused
  expect(r.lines).toEqual(['a:1|c', 'b:1|c|#x', 'c:1|c', 'd:1|c', 'e:1|c']);
  for (const code of r.codes)
    expect(code).toMatch(/^STATSKIT_ERR_(INVALID_TAG|INVALID_RATE|INVALID_VALUE|INVALID_NAME)$/);
  expect(r.codes).toHaveLength(calls.length);
});
