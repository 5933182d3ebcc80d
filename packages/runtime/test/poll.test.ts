/**
 * poll(): a drift-free grid, one run at a time (skips counted), timeouts, errors, and close().
 */
import { ErrorCodes, InvalidOptionError, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { poll } from '@statskit/runtime';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { block, sleep, sumOf, valuesOf } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('poll: the grid (real timers)', () => {
  test('ticks stay on the interval grid although each run blocks for 15 ms (no drift)', async () => {
    // What the scheduler asks for, not when a loaded machine ran it: every timer the grid arms targets a
    // grid point (origin + k × interval). A scheduler that slept `interval` after each run would target
    // run end + interval and drift 15 ms per tick.
    const armed: number[] = [];
    let fire: unknown;
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
      fire ??= fn; // poll() arms its grid first, synchronously
      if (fn === fire) armed.push(performance.now() + Math.max(0, ms ?? 0));
      return realSetTimeout(fn, ms);
    }) as typeof setTimeout);
    const stats = createTestClient();
    const interval = 50;
    const starts: number[] = [];
    const p = poll(
      stats,
      'grid',
      () => {
        starts.push(performance.now());
        block(15);
        return starts.length;
      },
      { interval },
    );
    try {
      while (starts.length < 11) await sleep(10);
    } finally {
      p.stop();
      vi.restoreAllMocks();
    }
    const t0 = armed[0] as number;
    const slots = armed.map((t) => (t - t0) / interval);
    for (const [i, slot] of slots.entries()) {
      expect(
        Math.abs(slot - Math.round(slot)),
        `timer ${i} targets ${slot.toFixed(3)} intervals`,
      ).toBeLessThan(0.02);
    }
    // one target per grid point, in order, and no run before its grid point
    const whole = slots.map(Math.round);
    expect(whole).toEqual([...whole].sort((a, b) => a - b));
    expect(new Set(whole.filter((w, i) => w !== whole[i - 1])).size).toBeGreaterThanOrEqual(11);
    // (the first run is at once, when poll() starts; the others on the grid)
    for (const t of starts.slice(1)) expect(t - t0).toBeGreaterThan(-1);
    expect(p.stats().runs).toBeGreaterThanOrEqual(11);
  });

  test('a poll taking 3x its interval keeps the grid, never overlaps, and counts skipped ticks', async () => {
    const stats = createTestClient();
    const interval = 50;
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const p = poll(
      stats,
      'slow',
      async () => {
        starts.push(performance.now());
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(3 * interval);
        running--;
        return 1;
      },
      { interval, timeout: 10 * interval },
    );
    while (starts.length < 5) await sleep(10);
    p.stop();
    expect(maxRunning).toBe(1);
    const t0 = starts[0] as number;
    const slots = starts.map((t) => Math.round((t - t0) / interval));
    for (let i = 0; i < starts.length; i++) {
      const late = (starts[i] as number) - t0 - (slots[i] as number) * interval;
      expect(late).toBeGreaterThan(-2);
      expect(late).toBeLessThan(interval / 2);
      // a 150 ms run ends at or after the third tick: the next run starts on the 3rd or 4th grid point
      if (i > 0) expect((slots[i] as number) - (slots[i - 1] as number)).toBeGreaterThanOrEqual(3);
    }
    const skippedBetween = (slots[slots.length - 1] as number) - (starts.length - 1);
    const { skipped } = p.stats();
    expect(skipped).toBeGreaterThanOrEqual(skippedBetween);
    expect(skipped).toBeLessThanOrEqual(skippedBetween + 4); // ticks after the last start, before stop()
    expect(sumOf(stats.metrics, /^slow\.poll\.skipped$/)).toBe(skipped);
  });
});

describe('poll: scheduling arithmetic (fake timers)', () => {
  test('a run of 250 ms on a 100 ms grid: runs at 0, 300, 600, 900; two ticks skipped each time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const stats = createTestClient();
    const starts: number[] = [];
    const p = poll(
      stats,
      'q',
      () => {
        starts.push(performance.now());
        return new Promise<number>((r) => setTimeout(r, 250, 7));
      },
      { interval: 100, timeout: 1000 },
    );
    await vi.advanceTimersByTimeAsync(1050);
    p.stop();
    const t0 = starts[0] as number;
    expect(starts.map((t) => t - t0)).toEqual([0, 300, 600, 900]);
    expect(p.stats()).toEqual({ runs: 4, skipped: 7, errors: 0, timeouts: 0 }); // 100,200,400,500,700,800,1000
    expect(valuesOf(stats.metrics, 'q')).toEqual([7, 7, 7]);
  });

  test('immediate: false waits one interval; tags go on the gauge and the counters', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const stats = createTestClient();
    const p = poll(stats, 'rows', () => 3, { interval: 100, immediate: false, tags: { table: 'users' } });
    expect(stats.metrics).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(stats.lines).toEqual(['rows:3|g|#table:users']);
    p.stop();
  });
});

describe('poll: failures', () => {
  test('a run past its timeout: onError (CALLBACK, cause TimeoutError), the signal aborted, counted', async () => {
    const stats = createTestClient();
    const errors: StatsError[] = [];
    let signal: AbortSignal | undefined;
    const p = poll(
      stats,
      'hang',
      (s) => {
        signal = s;
        return new Promise<number>(() => {});
      },
      { interval: 10_000, timeout: 30, onError: (e) => errors.push(e) },
    );
    await sleep(80);
    p.stop();
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.CALLBACK]);
    expect((errors[0]?.cause as Error | undefined)?.name).toBe('TimeoutError');
    expect(signal?.aborted).toBe(true);
    expect(valuesOf(stats.metrics, 'hang.poll.timeouts')).toEqual([1]);
    expect(valuesOf(stats.metrics, 'hang.poll.errors')).toEqual([1]);
    expect(p.stats().timeouts).toBe(1);
  });

  test('a throw, a rejection and a non-number each go to onError and the error counter', async () => {
    const stats = createTestClient();
    const errors: StatsError[] = [];
    let n = 0;
    const results = [
      () => {
        throw new Error('sync boom');
      },
      () => Promise.reject(new Error('async boom')),
      () => Number.NaN,
      () => 'twelve' as unknown as number,
      () => undefined, // no reading: nothing sent, not an error
      () => 12,
    ];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const p = poll(stats, 'q', () => (results[n++] as () => number)(), {
      interval: 10,
      onError: (e) => errors.push(e),
    });
    await vi.advanceTimersByTimeAsync(55);
    p.stop();
    expect(errors.map((e) => e.code)).toEqual([
      ErrorCodes.CALLBACK,
      ErrorCodes.CALLBACK,
      ErrorCodes.INVALID_VALUE,
      ErrorCodes.INVALID_VALUE,
    ]);
    expect(errors[0]?.message).toMatch(/sync boom/);
    expect(sumOf(stats.metrics, /^q\.poll\.errors$/)).toBe(4);
    expect(valuesOf(stats.metrics, 'q')).toEqual([12]);
  });

  test('a run still going at stop(): its late failure or timeout is neither reported nor counted; its signal aborts', async () => {
    const stats = createTestClient();
    const errors: StatsError[] = [];
    const signals: AbortSignal[] = [];
    const failing = poll(stats, 'late', () => sleep(40).then(() => Promise.reject(new Error('late'))), {
      interval: 10_000,
      onError: (e) => errors.push(e),
    });
    const hanging = poll(
      stats,
      'hung',
      (s) => {
        signals.push(s);
        return new Promise<number>(() => {});
      },
      { interval: 10_000, timeout: 30, onError: (e) => errors.push(e) },
    );
    failing.stop();
    hanging.stop();
    await sleep(80);
    expect(errors).toEqual([]);
    expect(stats.lines).toEqual([]);
    expect(signals[0]?.aborted).toBe(true);
  });

  test('stats.close() stops every poll; a poll on a closed client never runs', async () => {
    const stats = createTestClient();
    let runs = 0;
    const p = poll(stats, 'q', () => ++runs, { interval: 20 });
    await sleep(70);
    await stats.close();
    expect(p.active).toBe(false);
    const seen = runs;
    await sleep(80);
    expect(runs).toBe(seen);
    const late = poll(stats, 'q2', () => ++runs, { interval: 20 });
    expect(late.active).toBe(false);
    expect(runs).toBe(seen);
  });

  test('invalid arguments throw InvalidOptionError', () => {
    const stats = createTestClient();
    expect(() => poll(stats, '', () => 1)).toThrow(InvalidOptionError);
    expect(() => poll(stats, 'x', 1 as unknown as () => number)).toThrow(InvalidOptionError);
    expect(() => poll(stats, 'x', () => 1, { interval: -1 })).toThrow(InvalidOptionError);
    expect(() => poll(stats, 'x', () => 1, { timeout: 0 })).toThrow(InvalidOptionError);
  });
});
