/**
 * collectRuntimeMetrics with real effects: a blocked event loop, real allocations, the documented names.
 */
import { InvalidOptionError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { collectRuntimeMetrics, type ThresholdEvent } from '@statskit/runtime';
import { describe, expect, test } from 'vitest';
import { block, sleep, sumOf, valuesOf } from './helpers.js';

/** Every name a reading sends in names mode (gc.* only when a GC of that kind happened). */
const RUNTIME_GAUGES = [
  'runtime.eventloop.delay.min',
  'runtime.eventloop.delay.mean',
  'runtime.eventloop.delay.p50',
  'runtime.eventloop.delay.p99',
  'runtime.eventloop.delay.max',
  'runtime.eventloop.utilization',
  'runtime.cpu.user',
  'runtime.cpu.system',
  'runtime.cpu.total',
  'runtime.memory.heap.used',
  'runtime.memory.heap.total',
  'runtime.memory.heap.limit',
  'runtime.memory.rss',
  'runtime.memory.external',
  'runtime.memory.array_buffers',
  'runtime.handles',
  'runtime.requests',
  'runtime.resources',
  'runtime.uptime',
];

describe('collectRuntimeMetrics', () => {
  test('an induced ~200 ms event-loop block shows in the max delay (and trips a threshold on it)', async () => {
    const stats = createTestClient();
    const events: ThresholdEvent[] = [];
    const rt = collectRuntimeMetrics(stats, {
      interval: 60_000,
      thresholds: { 'eventloop.delay.max': { above: 150, recover: 50 } },
      onThreshold: (e) => events.push(e),
    });
    await sleep(50);
    block(200);
    await sleep(50); // let the delay monitor take its late sample
    await rt.collect();
    const [max] = valuesOf(stats.metrics, 'runtime.eventloop.delay.max');
    expect(max).toBeGreaterThanOrEqual(150);
    expect(valuesOf(stats.metrics, 'runtime.eventloop.utilization')[0]).toBeGreaterThan(0);
    expect(events.map((e) => [e.name, e.state])).toEqual([['runtime.eventloop.delay.max', 'breach']]);
    expect(valuesOf(stats.metrics, 'runtime.eventloop.delay.max.threshold.breach')).toEqual([1]);
    // reset each interval: a quiet interval afterwards does not repeat the 200 ms
    stats.clear();
    await sleep(100);
    await rt.collect();
    expect(valuesOf(stats.metrics, 'runtime.eventloop.delay.max')[0]).toBeLessThan(150);
    rt.stop();
  });

  test('allocations show in heap used and in GC counts and pause times', async () => {
    const stats = createTestClient();
    const rt = collectRuntimeMetrics(stats, { interval: 60_000 });
    await rt.collect();
    const before = valuesOf(stats.metrics, 'runtime.memory.heap.used')[0] ?? 0;
    stats.clear();
    const kept: number[][] = [];
    for (let i = 0; i < 400; i++) kept.push(new Array(20_000).fill(i)); // ~64 MB retained
    let churn = 0;
    for (let i = 0; i < 300_000; i++) churn += { i, s: `x${i}` }.s.length; // short-lived garbage
    await sleep(50); // GC entries reach the observer asynchronously
    await rt.collect();
    const after = valuesOf(stats.metrics, 'runtime.memory.heap.used')[0] ?? 0;
    expect(after - before).toBeGreaterThan(40 * 1024 * 1024);
    expect(sumOf(stats.metrics, /^runtime\.gc\.\w+\.count$/)).toBeGreaterThan(0);
    expect(sumOf(stats.metrics, /^runtime\.gc\.\w+\.pause$/)).toBeGreaterThan(0);
    for (const m of stats.metrics.filter((x) => x.name.startsWith('runtime.gc.'))) expect(m.type).toBe('c');
    expect(kept.length + churn).toBeGreaterThan(0);
    rt.stop();
  });

  test('every documented name, with its type; memory in bytes, CPU in percent', async () => {
    const stats = createTestClient();
    const rt = collectRuntimeMetrics(stats, { interval: 60_000 });
    await sleep(30);
    await rt.collect();
    const names = new Set(stats.metrics.map((m) => m.name));
    for (const n of RUNTIME_GAUGES) expect(names, n).toContain(n);
    for (const m of stats.metrics.filter((x) => !x.name.startsWith('runtime.gc.'))) expect(m.type).toBe('g');
    const heapLimit = valuesOf(stats.metrics, 'runtime.memory.heap.limit')[0] ?? 0;
    expect(heapLimit).toBeGreaterThan(valuesOf(stats.metrics, 'runtime.memory.heap.used')[0] ?? 0);
    expect(valuesOf(stats.metrics, 'runtime.cpu.total')[0]).toBeGreaterThanOrEqual(0);
    rt.stop();
  });

  test("tags mode: GC kind as a tag; the client's prefix and tags apply", async () => {
    const stats = createTestClient({ prefix: 'app', tags: { env: 'test' } });
    const rt = collectRuntimeMetrics(stats, { interval: 60_000, mode: 'tags', prefix: 'node' });
    let junk = 0;
    for (let i = 0; i < 20_000; i++) junk += new Array(1000).fill(i).length; // ~160 MB of garbage
    expect(junk).toBeGreaterThan(0);
    await sleep(50);
    await rt.collect();
    const gc = stats.metrics.filter((m) => m.name === 'app.node.gc.count');
    expect(gc.length).toBeGreaterThan(0);
    for (const m of gc) expect(['minor', 'major', 'incremental', 'weakcb']).toContain(m.tags.kind);
    expect(stats.metrics.find((m) => m.name === 'app.node.memory.rss')?.tags).toEqual({ env: 'test' });
    rt.stop();
  });

  test('runs on its grid, and stats.close() stops it', async () => {
    const stats = createTestClient();
    const rt = collectRuntimeMetrics(stats, { interval: 40 });
    await sleep(190);
    const readings = valuesOf(stats.metrics, 'runtime.uptime').length;
    expect(readings).toBeGreaterThanOrEqual(2);
    await stats.close();
    expect(rt.active).toBe(false);
    await sleep(100);
    expect(valuesOf(stats.metrics, 'runtime.uptime').length).toBe(readings);
  });

  test('invalid options throw InvalidOptionError', () => {
    const stats = createTestClient();
    expect(() => collectRuntimeMetrics(stats, { interval: 0 })).toThrow(InvalidOptionError);
    expect(() => collectRuntimeMetrics(stats, { mode: 'x' as 'tags' })).toThrow(InvalidOptionError);
    expect(() => collectRuntimeMetrics(stats, { thresholds: { x: { above: 1, below: 2 } } })).toThrow(
      InvalidOptionError,
    );
  });
});
