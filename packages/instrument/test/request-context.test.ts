import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import {
  currentRequest,
  enableRequestContext,
  instrumentPg,
  MAX_KINDS_PER_REQUEST,
  RequestContext,
  requestContextEnabled,
  runWithRequest,
} from '@statskit/instrument';
import express, { type Express } from 'express';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

describe('RequestContext', () => {
  it('counts and times per kind', () => {
    const ctx = new RequestContext();
    ctx.add('db', 5);
    ctx.add('db', 7.5);
    ctx.add('http', 20);
    expect(ctx.count('db')).toBe(2);
    expect(ctx.timeMs('db')).toBe(12.5);
    expect(ctx.count('http')).toBe(1);
    expect(ctx.count('cache')).toBe(0);
    expect(ctx.totals.map((t) => [t.kind, t.count, t.timeMs])).toEqual([
      ['db', 2, 12.5],
      ['http', 1, 20],
    ]);
  });

  it('allocates an entry on the first add of a kind only', () => {
    const ctx = new RequestContext();
    ctx.add('db', 1);
    const totals = ctx.totals;
    const entry = totals[0];
    for (let i = 0; i < 1000; i++) ctx.add('db', 1);
    expect(ctx.totals).toBe(totals);
    expect(ctx.totals[0]).toBe(entry);
    expect(entry?.count).toBe(1001);
  });

  it('counts bad durations with no time and ignores bad kinds', () => {
    const ctx = new RequestContext();
    ctx.add('db', Number.NaN);
    ctx.add('db', -3);
    ctx.add('db', Number.POSITIVE_INFINITY);
    ctx.add('' as string, 4);
    ctx.add(42 as unknown as string, 4);
    expect(ctx.count('db')).toBe(3);
    expect(ctx.timeMs('db')).toBe(0);
    expect(ctx.totals).toHaveLength(1);
  });

  it(`keeps at most ${MAX_KINDS_PER_REQUEST} kinds`, () => {
    const ctx = new RequestContext();
    for (let i = 0; i < 100; i++) ctx.add(`k${i}`, 1);
    expect(ctx.totals).toHaveLength(MAX_KINDS_PER_REQUEST);
  });
});

describe('runWithRequest / currentRequest', () => {
  it('is undefined outside a request', () => {
    expect(currentRequest()).toBeUndefined();
  });

  it('follows the request through awaits, timers and callbacks, and keeps requests apart', async () => {
    enableRequestContext();
    expect(requestContextEnabled()).toBe(true);
    const handle = async (ms: number, waits: number): Promise<RequestContext> => {
      const ctx = new RequestContext();
      await runWithRequest(ctx, async () => {
        for (let i = 0; i < waits; i++) {
          await sleep(1);
          currentRequest()?.add('db', ms);
        }
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            currentRequest()?.add('http', ms);
            resolve();
          }, 1),
        );
      });
      return ctx;
    };
    const [a, b] = await Promise.all([handle(1, 3), handle(10, 5)]);
    expect([a.count('db'), a.timeMs('db'), a.count('http')]).toEqual([3, 3, 1]);
    expect([b.count('db'), b.timeMs('db'), b.timeMs('http')]).toEqual([5, 50, 10]);
    expect(currentRequest()).toBeUndefined();
  });

  it('passes arguments and returns the result', () => {
    const ctx = new RequestContext();
    const r = runWithRequest(ctx, (a: number, b: string) => `${a}${b}${currentRequest() === ctx}`, 1, 'x');
    expect(r).toBe('1xtrue');
  });

  it('shares one storage per process (ESM and CJS builds)', () => {
    const key = Symbol.for('statskit.instrument.requestContext');
    expect((globalThis as Record<symbol, unknown>)[key]).toBeDefined();
  });
});

describe("context: 'auto' and the first request (real Express)", () => {
  const key = Symbol.for('statskit.instrument.requestContext');
  const shared = (
    globalThis as unknown as Record<symbol, { enabled: boolean; missed?: boolean; warned?: boolean }>
  )[key] as { enabled: boolean; missed?: boolean; warned?: boolean };
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    if ((w as { code?: string }).code === 'STATSKIT_LATE_CONTEXT') warnings.push(w);
  };
  let stats: TestStatsClient;
  let server: Server | undefined;

  beforeEach(() => {
    // a fresh process as far as request contexts go: nothing has used them yet
    shared.enabled = false;
    shared.missed = false;
    shared.warned = false;
    warnings.length = 0;
    process.on('warning', onWarning);
    stats = createTestClient();
  });

  afterEach(async () => {
    process.off('warning', onWarning);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    enableRequestContext();
  });

  /** An Express app whose `/work` route does one stand-in DB call through the public API. */
  async function start(setup?: (app: Express) => void): Promise<(path?: string) => Promise<void>> {
    const app = express();
    app.use(statsdMiddleware({ client: stats, counterInterval: 0 }));
    setup?.(app);
    app.get('/work', async (_req, res) => {
      const t0 = performance.now();
      await sleep(1); // the stand-in query
      currentRequest()?.add('db', performance.now() - t0);
      res.send('ok');
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (path = '/work') => {
      await (await fetch(`${base}${path}`)).text();
      await vi.waitFor(() => expect(findMetrics(stats, `http.view.${path.slice(1)}.GET`)).not.toEqual([]));
    };
  }

  const dbCounts = (): number[] =>
    findMetrics(stats, 'http.view.work.db.count').map((m) => m.value as number);

  it('with enableRequestContext() at startup (the one-line opt-in) the first request is attributed', async () => {
    enableRequestContext();
    const get = await start();
    await get();
    expect(dbCounts()).toEqual([1]);
    expect(warnings).toEqual([]);
  });

  it('with an instrumentation installed before the first request, the first request is attributed', async () => {
    const get = await start();
    // installing any instrumentation switches contexts on (here: a stand-in pg pool)
    const pool = instrumentPg(
      {
        query: async () => ({ rows: [] }),
        connect: async () => ({ query: async () => ({ rows: [] }) }),
        totalCount: 0,
      },
      { stats, poolInterval: 0 },
    );
    expect(pool).toBeDefined();
    await get();
    expect(dbCounts()).toEqual([1]);
    expect(warnings).toEqual([]);
  });

  it('without either, the first currentRequest() warns once (STATSKIT_LATE_CONTEXT) and later requests are attributed', async () => {
    const get = await start();
    await get('/work');
    await get('/work');
    await get('/work');
    expect(dbCounts()).toEqual([1, 1]); // the first request had no context
    await vi.waitFor(() => expect(warnings).toHaveLength(1));
    expect(warnings[0]?.name).toBe('StatsKitWarning');
    expect(warnings[0]?.message).toContain('enableRequestContext()');
  });

  it('no warning when currentRequest() is first called before any request ran without a context', async () => {
    expect(currentRequest()).toBeUndefined(); // e.g. at startup: switches contexts on
    const get = await start();
    await get();
    expect(dbCounts()).toEqual([1]);
    await sleep(10);
    expect(warnings).toEqual([]);
  });
});
