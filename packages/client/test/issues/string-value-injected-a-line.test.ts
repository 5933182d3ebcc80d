/**
 * Regression: a string passed as the value of incr/decr/gauge/gaugeDelta/timing/histogram/distribution
 * (from JavaScript, or through `any`) went onto the wire unsanitized: `incr('x', '1|c\ninjected:1')`
 * sent two lines, one of them chosen by the caller. Only set() takes a string member (sanitized); any
 * other string value is now dropped with STATSKIT_ERR_INVALID_VALUE.
 */
import type { StatsClient } from '@statskit/client';
import { expect, test } from 'vitest';
import { drain, linesOf, udpClient } from '../helpers/client.js';
import { udpReceiver } from '../helpers/udp-receiver.js';

const methods: [string, (s: StatsClient, v: string) => void][] = [
  ['incr', (s, v) => s.incr('x', v as unknown as number)],
  ['decr', (s, v) => s.decr('x', v as unknown as number)],
  ['gauge', (s, v) => s.gauge('x', v as unknown as number)],
  ['gaugeDelta', (s, v) => s.gaugeDelta('x', v as unknown as number)],
  ['timing', (s, v) => s.timing('x', v as unknown as number)],
  ['histogram', (s, v) => s.histogram('x', v as unknown as number)],
  ['distribution', (s, v) => s.distribution('x', v as unknown as number)],
];
const values = ['1|c\ninjected:1', '1|c|#admin:true', '5', '-5', ''];

test.each(methods)('%s with a string value sends nothing and reports it', async (_m, call) => {
  await using rx = await udpReceiver();
  await using c = udpClient(rx);
  for (const v of values) expect(() => call(c.stats, v)).not.toThrow();
  expect(linesOf(await drain(c.stats, rx))).toEqual([]);
  expect(c.codes()).toEqual(values.map(() => 'STATSKIT_ERR_INVALID_VALUE'));
});

test('set() still takes a string member, sanitized', async () => {
  await using rx = await udpReceiver();
  await using c = udpClient(rx);
  c.stats.set('x', '1|c\ninjected:1');
  expect(linesOf(await drain(c.stats, rx))).toEqual(['x:1_c_injected_1|s']);
});
