/**
 * Koa-specific behaviour on real servers (Koa 2 and 3): errors re-thrown unchanged, the status an
 * upstream error handler sends, router prefixes, ctx.stats, close(), option validation.
 */
import Router from '@koa/router';
import { InvalidOptionError, type StatsClient } from '@statskit/client';
import { createTestClient, MemoryTransport, type TestStatsClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/koa';
import Koa3, { type Middleware } from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it, vi } from 'vitest';
import { type KoaClass, serve } from './helpers/app.js';

const versions: [string, KoaClass][] = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as KoaClass],
];

async function get(
  KoaApp: KoaClass,
  stack: readonly Middleware[],
  paths: readonly string[],
): Promise<number[]> {
  const app = new KoaApp();
  app.silent = true;
  for (const m of stack) app.use(m);
  await using server = await serve(app);
  const statuses: number[] = [];
  for (const p of paths) {
    const res = await fetch(`${server.url}${p}`);
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

async function settled(stats: TestStatsClient, n: number, close: () => Promise<void>): Promise<string[]> {
  await vi.waitFor(() => expect(stats.metrics.filter((m) => m.name === 'http.request')).toHaveLength(n));
  await close();
  return stats.metrics.map((m) => `${m.name}|${m.type}`);
}

describe.each(versions)('%s', (_name, KoaApp) => {
  it('re-throws the very error it saw, and records the status an outer handler sends', async () => {
    const stats = createTestClient();
    const middleware = statsdMiddleware({ client: stats });
    const boom = new Error('boom');
    let caught: unknown;
    const outer: Middleware = async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        caught = err;
        ctx.status = 503;
        ctx.body = 'later';
      }
    };
    const router = new Router({ prefix: '/api' });
    router.get('/boom/:id', () => {
      throw boom;
    });
    const statuses = await get(
      KoaApp,
      [outer, middleware, router.routes() as unknown as Middleware],
      ['/api/boom/1'],
    );
    expect(statuses).toEqual([503]);
    expect(caught).toBe(boom);
    const sent = await settled(stats, 1, middleware.close);
    expect(sent).toContain('http.view.api.boom._id.response.503|c');
    expect(sent).toContain('http.view.api.boom._id.errors|c');
    expect(sent).not.toContain('http.response.500|c');
  });

  it("Koa's default handler: err.status is the status recorded; a plain error is 500", async () => {
    const stats = createTestClient();
    const middleware = statsdMiddleware({ client: stats });
    const router = new Router();
    router.get('/gone', (ctx) => ctx.throw(410));
    router.get('/oops', () => {
      throw new Error('oops');
    });
    const statuses = await get(
      KoaApp,
      [middleware, router.routes() as unknown as Middleware],
      ['/gone', '/oops'],
    );
    expect(statuses).toEqual([410, 500]);
    const sent = await settled(stats, 2, middleware.close);
    expect(sent).toContain('http.view.gone.response.410|c');
    expect(sent).toContain('http.view.oops.response.500|c');
  });

  it('sets ctx.stats, a child of the client', async () => {
    const stats = createTestClient();
    const middleware = statsdMiddleware({ client: stats });
    let seen: StatsClient | undefined;
    const handler: Middleware = (ctx) => {
      seen = ctx.stats;
      ctx.stats.incr('signups');
      ctx.body = 'ok';
    };
    await get(KoaApp, [middleware, handler], ['/']);
    await settled(stats, 1, middleware.close);
    expect(seen).toBeDefined();
    expect(seen).not.toBe(stats);
    expect(stats.metrics.find((m) => m.name === 'signups')?.value).toBe(1);
  });

  it('without @koa/router every request is unmatched', async () => {
    const stats = createTestClient();
    const middleware = statsdMiddleware({ client: stats });
    const handler: Middleware = (ctx) => {
      ctx.body = 'ok';
    };
    await get(KoaApp, [middleware, handler], ['/a', '/b/c']);
    const sent = await settled(stats, 2, middleware.close);
    expect(sent.filter((n) => n === 'http.view.__unmatched__.GET|ms')).toHaveLength(2);
  });

  it('close() closes a client it created, and only flushes one it was given', async () => {
    const memory = new MemoryTransport();
    const own = statsdMiddleware({ client: { transport: memory } });
    const ok: Middleware = (ctx) => {
      ctx.body = 'ok';
    };
    await get(KoaApp, [own, ok], ['/']);
    await vi.waitFor(() => expect(memory.lines.some((l) => l.startsWith('http.request:'))).toBe(true), {
      timeout: 5000, // the timer line leaves on the client's flush interval; generous for a loaded machine
    });
    await own.close();
    expect(own.client.closed).toBe(true);
    expect(memory.lines.some((l) => l.startsWith('http.response.200:1|c'))).toBe(true);

    const given = createTestClient();
    const middleware = statsdMiddleware({ client: given });
    await middleware.close();
    expect(given.closed).toBe(false);
  });

  it('rejects invalid options', () => {
    expect(() => statsdMiddleware({ client: createTestClient(), mode: 'labels' as 'tags' })).toThrow(
      InvalidOptionError,
    );
    expect(() => statsdMiddleware({ client: createTestClient(), exclude: ['healthz'] })).toThrow(
      InvalidOptionError,
    );
  });
});
