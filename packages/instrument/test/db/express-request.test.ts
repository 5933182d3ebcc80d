/**
 * End to end: a real Express server with statsdMiddleware, a route that runs 3 queries on an
 * instrumented pg pool, driven with fetch. The request metrics must say 3 queries for that route.
 */
import type { AddressInfo } from 'node:net';
import { createTestClient, findMetrics } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import express from 'express';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { instrumentPg } from '../../src/db/pg.js';
import { POSTGRES, pgConfig, serverUp } from '../helpers/servers.js';

const up = await serverUp(POSTGRES);

describe.skipIf(!up)('Express request metrics carry the DB queries of the request (real PostgreSQL)', () => {
  const stats = createTestClient({ prefix: 'app' });
  let pool: pg.Pool;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let base: string;

  beforeAll(async () => {
    pool = instrumentPg(new pg.Pool({ ...pgConfig, max: 2 }), { stats, name: 'main' });
    const app = express();
    app.use(statsdMiddleware({ client: stats }));
    app.get('/users/:id', async (req, res) => {
      const id = Number(req.params['id']);
      const a = await pool.query('SELECT $1::int AS id', [id]);
      const b = await pool.query("SELECT 'x' AS name");
      const c = await pool.query('SELECT now() AS at');
      res.json({ id: a.rows[0].id, name: b.rows[0].name, at: c.rowCount });
    });
    app.get('/none', (_req, res) => {
      res.send('no queries');
    });
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await pool?.end();
  });

  it('a route with 3 queries reports db.count 3 and db.time > 0 for that request', async () => {
    stats.clear();
    const res = await fetch(`${base}/users/42`);
    expect(await res.json()).toEqual({ id: 42, name: 'x', at: 1 });
    await vi.waitFor(() => expect(findMetrics(stats, 'app.http.view.users._id.db.count')).toHaveLength(1));

    expect(findMetrics(stats, 'app.http.view.users._id.db.count', { type: 'ms', value: 3 })).toHaveLength(1);
    expect(findMetrics(stats, 'app.http.db.count', { type: 'ms', value: 3 })).toHaveLength(1);
    const [time] = findMetrics(stats, 'app.http.view.users._id.db.time', { type: 'ms' });
    expect(time?.value).toBeGreaterThan(0);
    // and the queries themselves
    expect(findMetrics(stats, 'app.db.postgresql.main.query.select', { type: 'ms' })).toHaveLength(3);
  });

  it('concurrent requests each get their own count; a route without queries has none', async () => {
    stats.clear();
    const responses = await Promise.all([1, 2, 3, 4].map((id) => fetch(`${base}/users/${id}`)));
    await Promise.all(responses.map((r) => r.text()));
    await (await fetch(`${base}/none`)).text();
    await vi.waitFor(() => {
      expect(findMetrics(stats, 'app.http.view.users._id.db.count')).toHaveLength(4);
      expect(findMetrics(stats, 'app.http.view.none.GET')).toHaveLength(1);
    });
    const counts = findMetrics(stats, 'app.http.view.users._id.db.count').map((m) => m.value);
    expect(counts).toEqual([3, 3, 3, 3]);
    expect(findMetrics(stats, 'app.http.view.none.db.count')).toEqual([]);
  });
});
