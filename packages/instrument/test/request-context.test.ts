import { setTimeout as sleep } from 'node:timers/promises';
import {
  currentRequest,
  enableRequestContext,
  MAX_KINDS_PER_REQUEST,
  RequestContext,
  requestContextEnabled,
  runWithRequest,
} from '@statskit/instrument';
import { describe, expect, it } from 'vitest';

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
