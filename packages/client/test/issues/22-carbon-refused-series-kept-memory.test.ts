/**
 * Regression (issue 22 item 5): past `carbon.maxKeys` every refused series still left an empty per-name
 * Map in the carbon reporter (~250 B each: +124 MiB of heap after 500 000 refused names, never
 * released), so names built from request data grew the process without limit. A refused series now
 * leaves nothing: the retained heap after 300 000 refused names stays within the client's bounded name
 * cache, and every refused call is counted.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { ErrorCodes, StatsClient, type StatsError } from '@statskit/client';
import { expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';

v8.setFlagsFromString('--expose_gc');
const gc = vm.runInNewContext('gc') as () => void;

test('300 000 series refused past maxKeys leave no per-name memory behind', async () => {
  await using srv = await streamServer();
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    carbon: { port: srv.port, maxKeys: 10, interval: 60_000 },
    onError: (e) => errors.push(e),
  });
  for (let i = 0; i < 10; i++) stats.incr(`kept.${i}`);
  gc();
  const before = process.memoryUsage().heapUsed;
  const N = 300_000;
  for (let i = 0; i < N; i++) stats.incr(`refused.request.${i}`);
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  console.log(`heap after ${N} refused series: +${(grown / 1048576).toFixed(1)} MiB`);
  // the client's name cache is bounded at ~4 MiB; an empty Map per refused name was ~70 MiB here
  expect(grown).toBeLessThan(12 * 1024 * 1024);
  const t = stats.telemetry();
  expect(t.droppedBy.overflow).toBe(N);
  expect(errors.map((e) => e.code)).toEqual([ErrorCodes.TOO_MANY_KEYS]);
  await stats.close();
  // the kept series still report: 10 counters × 6 lines
  expect(srv.lines.filter((l) => l.startsWith('kept.'))).toHaveLength(60);
  expect(srv.lines.some((l) => l.startsWith('refused.'))).toBe(false);
});
