/**
 * Regression (issue 24, item 1): typos in the collectors' and poll()'s options (`intervall`, `treshold`)
 * were ignored without a word: the default interval was used. They are now reported once, with the
 * closest known key, to the collector's onError (default: a process warning).
 */
import type { StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { collectHostMetrics, collectRuntimeMetrics, poll } from '@statskit/runtime';
import { expect, test } from 'vitest';

test('collectRuntimeMetrics({ intervall, resoluton }): one STATSKIT_ERR_UNKNOWN_OPTION naming the fix', async () => {
  const stats = createTestClient();
  const errors: StatsError[] = [];
  const h = collectRuntimeMetrics(stats, {
    intervall: 1000,
    resoluton: 20,
    onError: (e: StatsError) => errors.push(e),
  } as never);
  await Promise.resolve();
  h.stop();
  expect(errors.map((e) => [e.code, e.message])).toEqual([
    [
      'STATSKIT_ERR_UNKNOWN_OPTION',
      'statskit: unknown collectRuntimeMetrics() options "intervall" (did you mean "interval"?), "resoluton" (did you mean "resolution"?); ignored',
    ],
  ]);
  await stats.close();
});

test('collectHostMetrics({ mount }) and poll(..., { treshold }) too', async () => {
  const stats = createTestClient();
  const errors: StatsError[] = [];
  const onError = (e: StatsError): void => {
    errors.push(e);
  };
  const host = collectHostMetrics(stats, { mount: ['/'], onError } as never);
  const p = poll(stats, 'queue.depth', () => 1, {
    treshold: { above: 5 },
    immediate: false,
    onError,
  } as never);
  await Promise.resolve();
  host.stop();
  p.stop();
  expect(errors.map((e) => e.message)).toEqual([
    'statskit: unknown collectHostMetrics() option "mount" (did you mean "mounts"?); ignored',
    `statskit: unknown poll('queue.depth') option "treshold" (did you mean "thresholds"?); ignored`,
  ]);
  await stats.close();
});

test('correct options report nothing', async () => {
  const stats = createTestClient();
  const errors: StatsError[] = [];
  const h = collectRuntimeMetrics(stats, { interval: 1000, onError: (e) => errors.push(e) });
  await Promise.resolve();
  h.stop();
  expect(errors).toEqual([]);
  await stats.close();
});
