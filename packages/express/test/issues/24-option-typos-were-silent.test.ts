/**
 * Regression (issue 24, item 1): in plain JavaScript `statsdMiddleware({ clinet: { port: 8135 }, prefx,
 * excludes })` said nothing: the typos were ignored and the metrics went to 127.0.0.1:8125. Unknown keys
 * are now reported once, with the closest known key, where the client reports its own unknown options.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import { describe, expect, test } from 'vitest';

/** Process warnings emitted while `fn` runs and the microtasks after it. */
async function warningsDuring(fn: () => Promise<void> | void): Promise<(Error & { code?: string })[]> {
  const seen: (Error & { code?: string })[] = [];
  const listener = (w: Error & { code?: string }): void => {
    if (w.name === 'StatsKitWarning') seen.push(w);
  };
  process.on('warning', listener);
  try {
    await fn();
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('statsdMiddleware option typos', () => {
  test('clinet, prefx, excludes with the default client: one process warning naming each and the fix', async () => {
    let mw: ReturnType<typeof statsdMiddleware> | undefined;
    const warnings = await warningsDuring(() => {
      mw = statsdMiddleware({ clinet: { port: 8135 }, prefx: 'web', excludes: ['/health'] } as never);
    });
    expect(warnings.map((w) => [w.code, w.message])).toEqual([
      [
        'STATSKIT_ERR_UNKNOWN_OPTION',
        'statskit: unknown statsdMiddleware options "clinet" (did you mean "client"?), "prefx" (did you mean "prefix"?), "excludes" (did you mean "exclude"?); ignored',
      ],
    ]);
    await mw?.close();
  });

  test("with the user's client: to its onError, once; not a process warning", async () => {
    const stats = createTestClient();
    const mw = statsdMiddleware({ client: stats, countertInterval: 10 } as never);
    await Promise.resolve();
    expect(stats.errors.map((e) => e.message)).toEqual([
      'statskit: unknown statsdMiddleware option "countertInterval" (did you mean "counterInterval"?); ignored',
    ]);
    await mw.close();
  });

  test('a typo inside `client: { ... }` is reported by the client the middleware creates', async () => {
    const errors: string[] = [];
    const mw = statsdMiddleware({
      client: { prot: 8135, onError: (e: StatsError) => errors.push(e.message) } as never,
    });
    await Promise.resolve();
    expect(errors).toEqual(['statskit: unknown option "prot" (did you mean "port"?); ignored']);
    await mw.close();
  });

  test('correct options report nothing', async () => {
    const stats = createTestClient();
    const mw = statsdMiddleware({
      client: stats,
      prefix: 'web',
      exclude: ['/health'],
      metrics: { route: true },
    });
    await Promise.resolve();
    expect(stats.errors).toEqual([]);
    await mw.close();
    expect(stats).toBeInstanceOf(StatsClient);
  });
});
