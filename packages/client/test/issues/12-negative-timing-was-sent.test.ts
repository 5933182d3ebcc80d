/**
 * Regression (issue 12, item 5): `timing('x', -5)` was sent as `x:-5|ms`. A duration cannot be negative
 * (statsd would average it into the timer's stats); it is rejected like NaN.
 */
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

test('a negative timing is dropped with STATSKIT_ERR_INVALID_VALUE; zero and positive are sent', () => {
  const stats = createTestClient();
  stats.timing('x', -5);
  stats.timing('x', -0.001, { tags: { a: 'b' } });
  stats.timing('x', 0);
  stats.timing('x', 12.5);
  expect(stats.lines).toEqual(['x:0|ms', 'x:12.5|ms']);
  expect(stats.errors.map((e) => e.code)).toEqual([
    'STATSKIT_ERR_INVALID_VALUE',
    'STATSKIT_ERR_INVALID_VALUE',
  ]);
  expect(stats.errors[0]?.message).toMatch(/negative/);
  expect(stats.telemetry().droppedBy.invalid).toBe(2);
});

test('histograms, distributions and gauges may still be negative', () => {
  const stats = createTestClient();
  stats.histogram('h', -5);
  stats.distribution('d', -5);
  stats.gaugeDelta('g', -5);
  expect(stats.lines).toEqual(['h:-5|ms', 'd:-5|ms', 'g:-5|g']);
  expect(stats.errors).toEqual([]);
});
