/**
 * Regression (issue 24, item 7): `/users/:id` became two Graphite nodes (`users._id`), so
 * `http.view.*.GET.p95` missed it and no single glob covered routes of different depths. With
 * `routeSeparator: '-'` every route is one node; in tags mode `seriesByTag` selects every route. These
 * are the render-API recipes of docs/graphite.md ("Per-route queries"), run against the real
 * graphite-web with carbon-cache (direct carbon reporter, 1 s retention under statskit_test).
 */
import type { AddressInfo } from 'node:net';
import { StatsClient } from '@statskit/client';
import { statsdMiddleware } from '@statskit/express';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { graphiteUp, points, render, testPrefix, waitFor } from '../../../client/test/helpers/graphite.js';

const up = await graphiteUp();

/** An app with routes of three depths, each requested `n` times, reported through `stats`. */
async function serve(mw: express.RequestHandler, n = 5): Promise<void> {
  const app = express();
  app.use(mw);
  app.get('/orders', (_req, res) => void res.end('o'));
  app.get('/users/:id', (_req, res) => void res.end('u'));
  app.get('/api/v1/items/:sku', (_req, res) => void res.end('i'));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (let i = 0; i < n; i++) {
    for (const path of ['/orders', '/users/1', '/api/v1/items/abc'])
      await (await fetch(`${base}${path}`)).arrayBuffer();
  }
  await new Promise<void>((r) => server.close(() => r()));
}

/** The names of the series `target` renders, once it renders `want` of them with points. */
async function seriesOf(target: string, want: number): Promise<string[]> {
  let last: string[] = [];
  return waitFor(
    async () => {
      const s = (await render([target])).filter((x) => points(x).length > 0);
      last = s.map((x) => x.target).sort();
      return last.length >= want ? last : undefined;
    },
    30_000,
    `${want} series for ${target}`,
    () => last,
  );
}

describe.skipIf(!up)('per-route Graphite queries (graphite-web render API)', () => {
  it("names mode, routeSeparator '-': one glob selects every route's p95; aliasByNode names them", async () => {
    const prefix = testPrefix('routes');
    const stats = new StatsClient({ prefix, carbon: { interval: 1000 } });
    const mw = statsdMiddleware({ client: stats, routeSeparator: '-' });
    await serve(mw);
    await mw.close();
    await stats.close();
    // the recipe: every route's p95 for GET, whatever the route's depth
    expect(await seriesOf(`${prefix}.http.view.*.GET.p95`, 3)).toEqual([
      `${prefix}.http.view.api-v1-items-_sku.GET.p95`,
      `${prefix}.http.view.orders.GET.p95`,
      `${prefix}.http.view.users-_id.GET.p95`,
    ]);
    // aliasByNode(…, n): the route node's index (statskit_test.<run>.http.view.<route> → 4)
    expect(await seriesOf(`aliasByNode(${prefix}.http.view.*.GET.p95, 4)`, 3)).toEqual([
      'api-v1-items-_sku',
      'orders',
      'users-_id',
    ]);
    // the slowest routes first; the 5 slowest route+method pairs
    expect(await seriesOf(`sortByMaxima(${prefix}.http.view.*.GET.p95)`, 3)).toHaveLength(3);
    expect(await seriesOf(`highestMax(${prefix}.http.view.*.*.p95, 5)`, 3)).toHaveLength(3);
    // responses over every route: 5 requests × 3 routes
    const total = await waitFor(
      async () => {
        const p = points((await render([`sumSeries(${prefix}.http.view.*.response.2xx.count)`]))[0]);
        const v = p[p.length - 1]?.[0];
        return v === 15 ? v : undefined;
      },
      30_000,
      'sumSeries of the 2xx counts = 15',
    );
    expect(total).toBe(15);
  }, 60_000);

  it("the default '.' separator: the same glob misses the deeper routes (why the option exists)", async () => {
    const prefix = testPrefix('routes_dot');
    const stats = new StatsClient({ prefix, carbon: { interval: 1000 } });
    const mw = statsdMiddleware({ client: stats });
    await serve(mw);
    await mw.close();
    await stats.close();
    // only users._id's two nodes match *.*: each depth needs its own glob
    expect(await seriesOf(`${prefix}.http.view.*.*.GET.p95`, 1)).toEqual([
      `${prefix}.http.view.users._id.GET.p95`,
    ]);
    expect(await seriesOf(`${prefix}.http.view.*.GET.p95`, 1)).toEqual([
      `${prefix}.http.view.orders.GET.p95`,
    ]);
  }, 60_000);

  it("tags mode: seriesByTag selects every route's p95; aliasByTags names them by route", async () => {
    const prefix = testPrefix('routes_tags');
    const stats = new StatsClient({ prefix, carbon: { interval: 1000 } });
    const mw = statsdMiddleware({ client: stats, mode: 'tags' });
    await serve(mw);
    await mw.close();
    await stats.close();
    const selector = `seriesByTag('name=${prefix}.http.request.p95','method=GET')`;
    expect(await seriesOf(`aliasByTags(${selector}, 'route')`, 3)).toEqual([
      'api.v1.items._sku',
      'orders',
      'users._id',
    ]);
    const grouped = `groupByTags(seriesByTag('name=${prefix}.http.request.p95'), 'max', 'route')`;
    expect(await seriesOf(`aliasByTags(${grouped}, 'route')`, 3)).toEqual([
      'api.v1.items._sku',
      'orders',
      'users._id',
    ]);
  }, 60_000);
});
