/**
 * Regression: "a metric call never throws" did not hold for some garbage a JavaScript caller can pass:
 * - `opts` = null threw `Cannot read properties of null (reading 'rate')` (every method, timer().stop()
 *   and time() too);
 * - `decr(name, Symbol())` threw `Cannot convert a Symbol value to a number`;
 * - `decr(name, null | true | [1] | {valueOf})` was coerced by `-value` and sent as `x:0|c` / `x:-1|c`,
 *   where `incr` with the same values reports STATSKIT_ERR_INVALID_VALUE.
 */
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

test('null opts are treated as no opts', async () => {
  const stats = createTestClient();
  const opts = null as unknown as undefined;
  expect(() => stats.incr('a', 1, opts)).not.toThrow();
  expect(() => stats.gauge('g', -1, opts)).not.toThrow();
  expect(() => stats.set('s', 'm', opts)).not.toThrow();
  expect(() => stats.timer('t', opts).stop()).not.toThrow();
  expect(stats.time('f', () => 7, opts)).toBe(7);
  await expect(stats.time('p', async () => 8, opts)).resolves.toBe(8);
  expect(stats.lines.map((l) => l.replace(/:[\d.]+\|ms$/, ':N|ms'))).toEqual([
    'a:1|c',
    'g:0|g',
    'g:-1|g',
    's:m|s',
    't:N|ms',
    'f:N|ms',
    'p:N|ms',
  ]);
  expect(stats.errors).toEqual([]);
});

test('decr rejects what incr rejects, instead of coercing or throwing', () => {
  const stats = createTestClient();
  const garbage = [Symbol('v'), null, true, [1], { valueOf: () => 1 }, '5', 10n];
  for (const v of garbage) {
    expect(() => stats.decr('x', v as unknown as number)).not.toThrow();
    expect(() => stats.incr('x', v as unknown as number)).not.toThrow();
  }
  expect(stats.lines).toEqual([]);
  expect(stats.errors.map((e) => e.code)).toEqual(
    [...garbage, ...garbage].map(() => 'STATSKIT_ERR_INVALID_VALUE'),
  );
});
