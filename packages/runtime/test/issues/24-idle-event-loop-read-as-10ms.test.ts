/**
 * Issue 24 item 6: an idle event loop read ~10 ms of delay (mean 10.13, p50 10.1): monitorEventLoopDelay
 * records the gap between its own timer's runs, which is the 10 ms resolution when nothing is late.
 */
import { createTestClient } from '@statskit/client/testing';
import { collectRuntimeMetrics } from '@statskit/runtime';
import { describe, expect, test } from 'vitest';
import { block, sleep, valuesOf } from '../helpers.js';

describe('issue 24.6: idle event-loop delay', () => {
  test('an idle loop reads a small delay, not the monitor resolution; a block still shows', async () => {
    const stats = createTestClient();
    const rt = collectRuntimeMetrics(stats, { interval: 60_000, resolution: 10 });
    await sleep(400); // idle: ~40 samples of the monitor
    await rt.collect();
    const [min] = valuesOf(stats.metrics, 'runtime.eventloop.delay.min');
    const [p50] = valuesOf(stats.metrics, 'runtime.eventloop.delay.p50');
    expect(min).toBeGreaterThanOrEqual(0);
    expect(min).toBeLessThan(3);
    expect(p50).toBeLessThan(5); // was 10.1: the resolution itself
    stats.clear();
    await sleep(50); // (a reset histogram needs one sample before it measures a gap)
    block(100);
    await sleep(30);
    await rt.collect();
    const [max] = valuesOf(stats.metrics, 'runtime.eventloop.delay.max');
    expect(max).toBeGreaterThanOrEqual(80);
    rt.stop();
  });
});
