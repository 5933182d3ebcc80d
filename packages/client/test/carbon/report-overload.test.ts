/**
 * Regression: a scheduled report that took longer than the interval. The next interval's report must
 * wait for it and run once — it used to be started a second time from the interval timer while its
 * start was pending, so two slice chains ran over one cursor and one crashed on a missing entry
 * (an uncaught TypeError from a setImmediate callback, which kills a process).
 *
 * Driven through the reporter itself with a 20 ms interval (the option allows 1000 ms at least) so
 * every report of 3000 timers overruns its interval (the sliding window: sorting makes reports slow).
 */

import { describe, expect, it } from 'vitest';
import { resolveCarbon } from '../../src/carbon/options.js';
import { CarbonReporter } from '../../src/carbon/reporter.js';
import { createTelemetry } from '../../src/types.js';

describe('carbon reporter under overload', () => {
  it('reports each interval once, one report at a time, without crashing', async () => {
    const opts = {
      ...(resolveCarbon({ reservoir: 'window', reservoirSize: 512 }) as NonNullable<
        ReturnType<typeof resolveCarbon>
      >),
      interval: 20,
    };
    const writes = new Map<string, number>(); // series → times written
    const errors: unknown[] = [];
    const r = new CarbonReporter(opts, {
      send(packet) {
        for (const line of packet.toString().split('\n')) {
          const [path] = line.split(' ');
          if (path?.endsWith('.count')) writes.set(path, (writes.get(path) ?? 0) + 1);
        }
      },
      telemetry: createTelemetry(),
      report: (e) => errors.push(e),
    });
    const key = (k: string) => ({ key: k, bytes: k.length });
    const keys = Array.from({ length: 3000 }, (_, i) => key(`svc.t${i}`));
    for (const k of keys) for (let s = 0; s < 512; s++) r.add(k, '', 0, '|ms', s, 1, false);
    // until several reports went out (however slow the machine), bounded in time
    const reports = (): number => Math.max(0, ...writes.values());
    const until = Date.now() + 15_000;
    while (reports() < 5 && Date.now() < until) {
      // new samples keep every report busy (percentiles computed again)
      for (let i = 0; i < keys.length; i += 7)
        r.add(keys[i] as { key: string; bytes: number }, '', 0, '|ms', 1, 1, false);
      await new Promise((res) => setTimeout(res, 5));
    }
    r.stop();
    r.flush(); // finishes a report in progress, then writes every series once more
    expect(errors).toEqual([]);
    // every report wrote every series once: all counts equal (a report run twice over one cursor skips
    // or repeats series, or crashes)
    const counts = new Set(writes.values());
    expect(writes.size).toBe(3000);
    expect([...counts]).toHaveLength(1);
    expect([...counts][0]).toBeGreaterThan(3); // several overrunning reports went out
  }, 20_000);
});
