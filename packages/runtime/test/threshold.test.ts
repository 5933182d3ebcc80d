/**
 * Thresholds: hysteresis (a recovery level), a minimum duration, once per state change, counted.
 */
import { InvalidOptionError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { poll, type ThresholdEvent } from '@statskit/runtime';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { valuesOf } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Poll `values` one per 10 ms tick (fake timers), with `thresholds`; returns the events. */
async function run(values: number[], thresholds: Parameters<typeof poll>[3]) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  const stats = createTestClient();
  const events: ThresholdEvent[] = [];
  let i = 0;
  const p = poll(stats, 'queue.length', () => values[i++], {
    interval: 10,
    ...thresholds,
    onThreshold: (e) => events.push(e),
  });
  await vi.advanceTimersByTimeAsync(10 * values.length);
  p.stop();
  return { stats, events, sent: valuesOf(stats.metrics, 'queue.length') };
}

describe('thresholds', () => {
  test('crossing the limit 1 000 times inside the hysteresis band calls back exactly twice', async () => {
    const values = [50, 85]; // breach
    for (let k = 0; k < 1000; k++) values.push(k % 2 === 0 ? 75 : 85); // crosses 80 each time, stays above 70
    values.push(65, 75, 85 - 10); // recovery at 65, then stays below 80
    const { stats, events, sent } = await run(values, { thresholds: { above: 80, recover: 70 } });
    expect(sent).toHaveLength(values.length);
    expect(events.map((e) => [e.state, e.value])).toEqual([
      ['breach', 85],
      ['recovery', 65],
    ]);
    expect(events[0]).toMatchObject({ name: 'queue.length', limit: 80, recover: 70, direction: 'above' });
    expect(valuesOf(stats.metrics, 'queue.length.threshold.breach')).toEqual([1]);
    expect(valuesOf(stats.metrics, 'queue.length.threshold.recovery')).toEqual([1]);
  });

  test('without a band (recover = limit) every crossing is a change', async () => {
    const { events } = await run([85, 75, 85, 75], { thresholds: { above: 80 } });
    expect(events.map((e) => e.state)).toEqual(['breach', 'recovery', 'breach', 'recovery']);
  });

  test('`for`: the condition must hold sample after sample for that long; a dip restarts the wait', async () => {
    // samples every 10 ms; for: 30 → the 4th consecutive sample above the limit breaches
    const values = [95, 95, 95, 50, 95, 95, 95, 95, 95, 50, 50, 50, 50];
    const { events } = await run(values, { thresholds: { above: 90, for: 30 } });
    expect(events.map((e) => e.state)).toEqual(['breach', 'recovery']);
    expect(events.map((e) => e.at)).toHaveLength(2);
  });

  test('below, with a label; several thresholds on one gauge keep separate states', async () => {
    const { events } = await run([10, 4, 1, 3, 6, 12], {
      thresholds: [
        { below: 5, recover: 10, label: 'warning' },
        { below: 2, recover: 5, label: 'critical' },
      ],
    });
    expect(events.map((e) => `${e.label}:${e.state}@${e.value}`)).toEqual([
      'warning:breach@4',
      'critical:breach@1',
      'critical:recovery@6',
      'warning:recovery@12',
    ]);
  });

  test('a throwing onThreshold goes to onError; polling goes on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const stats = createTestClient();
    const errors: unknown[] = [];
    const p = poll(stats, 'x', () => 100, {
      interval: 10,
      thresholds: { above: 1 },
      onThreshold: () => {
        throw new Error('logger down');
      },
      onError: (e) => errors.push(e.code),
    });
    await vi.advanceTimersByTimeAsync(30);
    p.stop();
    expect(errors).toEqual(['STATSKIT_ERR_CALLBACK']);
    expect(valuesOf(stats.metrics, 'x')).toEqual([100, 100, 100, 100]);
  });

  test('invalid thresholds throw InvalidOptionError', () => {
    const stats = createTestClient();
    const bad = [
      {},
      { above: 1, below: 2 },
      { above: 80, recover: 90 },
      { below: 5, recover: 1 },
      { above: 1, for: -1 },
    ];
    for (const t of bad)
      expect(() => poll(stats, 'x', () => 1, { thresholds: t })).toThrow(InvalidOptionError);
  });
});
