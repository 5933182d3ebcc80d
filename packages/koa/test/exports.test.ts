/**
 * The built package (dist) as users load it: CommonJS require and ESM import, each used in a real Koa
 * app. Run after `turbo run build`.
 */
import { createRequire } from 'node:module';
import { createTestClient } from '@statskit/client/testing';
import Koa from 'koa';
import { describe, expect, it, vi } from 'vitest';
import { serve } from './helpers/app.js';

const require = createRequire(import.meta.url);

type Factory = (options: { client: unknown }) => Koa.Middleware & { close(): Promise<void> };

async function works(statsdMiddleware: Factory): Promise<void> {
  // Exports and run-time names agree (issue 12, item 10): the factory and the middleware it returns.
  expect(statsdMiddleware.name).toBe('statsdMiddleware');
  const stats = createTestClient();
  const middleware = statsdMiddleware({ client: stats });
  expect(middleware.name).toBe('statsdMiddleware');
  const app = new Koa();
  app.use(middleware);
  app.use((ctx) => {
    ctx.body = 'ok';
  });
  await using server = await serve(app);
  await (await fetch(`${server.url}/x`)).arrayBuffer();
  await vi.waitFor(() => expect(stats.metrics.map((m) => m.name)).toContain('http.request'));
  await middleware.close();
}

describe('exports', () => {
  it('CommonJS: require() gives the named exports', async () => {
    expect(require.resolve('@statskit/koa')).toMatch(/dist[\\/]index\.cjs$/);
    const mod = require('@statskit/koa') as { statsdMiddleware: Factory; CLIENT_CLOSED_REQUEST: number };
    expect(mod.CLIENT_CLOSED_REQUEST).toBe(499);
    await works(mod.statsdMiddleware);
  });

  it('ESM: import gives the named exports', async () => {
    const path = new URL('../dist/index.js', import.meta.url).href;
    const mod = (await import(/* @vite-ignore */ path)) as { statsdMiddleware: Factory };
    await works(mod.statsdMiddleware);
  });
});
