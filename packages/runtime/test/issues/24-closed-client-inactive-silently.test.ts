/**
 * Issue 24 item 8 (runtime part): poll() / collectRuntimeMetrics() / collectHostMetrics() on a closed
 * client returned an inactive handle without a word.
 */
import { ErrorCodes, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { collectHostMetrics, collectRuntimeMetrics, poll } from '@statskit/runtime';
import { describe, expect, test } from 'vitest';

describe('issue 24.8: collectors and polls on a closed client say so', () => {
  test('to onError, with STATSKIT_ERR_CLOSED, and the handle is inactive', async () => {
    const stats = createTestClient();
    await stats.close();
    const errors: StatsError[] = [];
    const onError = (e: StatsError) => errors.push(e);
    const handles = [
      poll(stats, 'jobs.queue', () => 1, { onError }),
      collectRuntimeMetrics(stats, { onError }),
      collectHostMetrics(stats, { onError }),
    ];
    expect(handles.map((h) => h.active)).toEqual([false, false, false]);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.CLOSED, ErrorCodes.CLOSED, ErrorCodes.CLOSED]);
    expect(errors[0]?.message).toContain("poll('jobs.queue') on a closed client");
    expect(errors[1]?.message).toContain('collectRuntimeMetrics() on a closed client');
  });

  test('without onError: one process warning (StatsKitWarning)', async () => {
    const stats = createTestClient();
    await stats.close();
    const warnings: Error[] = [];
    const listener = (w: Error) => warnings.push(w);
    process.on('warning', listener);
    try {
      poll(stats, 'q', () => 1);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    const ours = warnings.filter((w) => w.name === 'StatsKitWarning');
    expect(ours).toHaveLength(1);
    expect((ours[0] as Error & { code?: string }).code).toBe(ErrorCodes.CLOSED);
  });

  test('on an open client nothing is reported', () => {
    const stats = createTestClient();
    const errors: StatsError[] = [];
    const p = poll(stats, 'q', () => 1, { onError: (e) => errors.push(e), immediate: false });
    expect(p.active).toBe(true);
    p.stop();
    expect(errors).toEqual([]);
  });
});
