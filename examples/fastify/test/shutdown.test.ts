/**
 * Issue 12, item 7: the fastify example's shutdown (closeOnSignal) in a real process. SIGTERM while a request is
 * in flight: the request completes, the process exits by the signal, and the last request's metrics —
 * including the counters still being summed — reach a real UDP receiver.
 */
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { counted, runShutdown, timers } from '../../express/test/helpers/shutdown.js';

const script = fileURLToPath(new URL('../src/server.mjs', import.meta.url));

it('SIGTERM: in-flight request finishes, metrics arrive, process exits as by the signal', async () => {
  const run = await runShutdown(
    script,
    '/slow?ms=400',
    (l) => counted(l, 'example.http.view.slow.response.200') > 0,
  );
  expect(run, 'the process did not exit within 15 s of SIGTERM').toBeDefined();
  expect(run?.body).toBe('working... done');
  expect(run?.signal).toBe('SIGTERM');
  expect(run?.stderr).toBe('');
  const lines = run?.lines ?? [];
  expect(timers(lines, 'example.http.view.slow.GET')).toBe(1);
  expect(counted(lines, 'example.http.view.slow.response.200')).toBe(1);
  expect(counted(lines, 'example.http.response.2xx')).toBe(1);
}, 40_000);
