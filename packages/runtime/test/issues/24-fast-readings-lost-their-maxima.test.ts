/**
 * Issue 24 item 5: a runtime collector reading faster than the client's aggregation interval lost its
 * maxima — a 220 ms event-loop block read at 500 ms intervals under a 1 s aggregation arrived as
 * `eventloop.delay.max` 13–17 ms, because a later, calmer reading replaced it in the interval.
 *
 * A real child process and a real UDP receiver. In the child the aggregator's interval starts at 250 ms
 * (its first metric), so it covers the readings at 500 and 1000 ms; the block (at 300 ms) is read at
 * 500 ms, and the calm reading at 1000 ms is the interval's last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childRunner, udpReceiver } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-issue24-5-'));
let run: Awaited<ReturnType<typeof childRunner>>;

beforeAll(async () => {
  run = await childRunner(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('issue 24.5: readings faster than the client interval keep their maxima', {
  timeout: 20_000,
}, () => {
  test('a 220 ms block read at 500 ms under a 1 s aggregation arrives as a max >= 200 ms', async () => {
    const receiver = await udpReceiver();
    try {
      const { code, out } = await run(`
const stats = new StatsClient({ port: ${receiver.port}, aggregate: { interval: 1000 } });
const block = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
const rt = collectRuntimeMetrics(stats, { interval: 500 });
setTimeout(() => stats.incr('tick'), 250);
setTimeout(() => block(220), 300);
await new Promise((r) => setTimeout(r, 1700));
await stats.close();
console.log('sendInterval', stats.sendInterval);
`);
      expect(code).toBe(0);
      const maxima = receiver.lines
        .filter((l) => l.startsWith('runtime.eventloop.delay.max:'))
        .map((l) => Number(l.slice(l.indexOf(':') + 1, l.indexOf('|'))));
      expect(maxima.length).toBeGreaterThanOrEqual(2); // one per aggregation interval, not per reading
      expect(Math.max(...maxima)).toBeGreaterThanOrEqual(200);
      expect(out).toContain('sendInterval 1000');
    } finally {
      await receiver.close();
    }
  });
});
