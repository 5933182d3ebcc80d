/**
 * Regression (issue 24, item 9): one warning per error *code* per 10 s hid distinct problems: a NaN
 * timing and a negative timing were never shown behind a string-value warning of the same code
 * (`STATSKIT_ERR_INVALID_VALUE`) on another metric, and what was held back was never summarised. Errors
 * are now coalesced per code and metric name (default handler and `onErrorInterval`), and close() says
 * what the default handler held back.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

/** StatsKit process warnings emitted while `fn` runs (and the ticks after it). */
async function warningsDuring(
  fn: () => Promise<void>,
): Promise<{ code: string | undefined; message: string }[]> {
  const seen: { code: string | undefined; message: string }[] = [];
  const listener = (w: Error & { code?: string }): void => {
    if (w.name === 'StatsKitWarning') seen.push({ code: w.code, message: w.message });
  };
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('default handler', () => {
  test('a NaN and a negative timing on other metrics are shown after a string value; close() summarises the rest', async () => {
    await using rx = await udpReceiver();
    const warnings = await warningsDuring(async () => {
      const stats = new StatsClient({ host: rx.address, port: rx.port, aggregate: false });
      stats.incr('jobs.done', 'three' as never);
      stats.incr('jobs.done', 'four' as never); // the same problem again: held back
      stats.timing('db.query', Number.NaN);
      stats.timing('http.latency', -5);
      stats.timing('http.latency', -6); // held back
      stats.timing('http.latency', -7); // held back
      stats.incr('ok');
      await stats.close();
    });
    await rx.waitForLines(1);
    expect(rx.lines).toEqual(['ok:1|c']);
    const invalid = warnings.filter((w) => w.code === 'STATSKIT_ERR_INVALID_VALUE').map((w) => w.message);
    expect(invalid).toHaveLength(3);
    expect(invalid[0]).toContain('jobs.done');
    expect(invalid[1]).toContain('db.query');
    expect(invalid[2]).toContain('http.latency');
    expect(warnings.filter((w) => w.code === 'STATSKIT_HELD_BACK').map((w) => w.message)).toEqual([
      'statskit: 3 errors were held back (not shown) since the last warning of their kind: 1 × STATSKIT_ERR_INVALID_VALUE on "jobs.done", 2 × STATSKIT_ERR_INVALID_VALUE on "http.latency"',
    ]);
  });

  test('nothing held back: no summary at close()', async () => {
    const warnings = await warningsDuring(async () => {
      const stats = new StatsClient({
        transport: { send() {}, flush: async () => {}, close: async () => {} },
      });
      stats.timing('db.query', Number.NaN);
      await stats.close();
    });
    expect(warnings.map((w) => w.code)).toEqual(['STATSKIT_ERR_INVALID_VALUE']);
  });
});

describe('onErrorInterval', () => {
  test('per code and metric: each metric is passed at once, repeats are held and passed at close() with the count', async () => {
    await using rx = await udpReceiver();
    const seen: StatsError[] = [];
    const stats = new StatsClient({
      host: rx.address,
      port: rx.port,
      aggregate: false,
      onErrorInterval: 60_000,
      onError: (e) => seen.push(e),
    });
    stats.incr('jobs.done', 'three' as never);
    stats.timing('db.query', Number.NaN);
    stats.timing('db.query', Number.NaN);
    stats.timing('http.latency', -5);
    const before = seen.map((e) => [
      e.message.includes('jobs.done'),
      e.message.includes('db.query'),
      e.suppressed,
    ]);
    expect(before).toEqual([
      [true, false, 0],
      [false, true, 0],
      [false, false, 0],
    ]);
    await stats.close();
    expect(seen).toHaveLength(4);
    expect(seen[3]?.message).toContain('db.query');
    expect(seen[3]?.suppressed).toBe(0); // the one held back, passed at close(); none other than it
  });
});
