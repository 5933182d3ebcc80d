/**
 * End to end: an Express route behind statsdMiddleware makes 2 outbound calls (one with Node's built-in
 * fetch, measured by instrumentFetch, one with axios, measured by instrumentHttpClient — both from
 * diagnostics channels). The request metrics of that route
 * must say 2 http calls, with their time.
 */
import type { AddressInfo } from 'node:net';
import { createTestClient, findMetrics } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import axios from 'axios';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { instrumentFetch } from '../../src/http/fetch.js';
import { instrumentHttpClient } from '../../src/http/node-http.js';
import type { HttpClientInstrumentation } from '../../src/http/types.js';
import { hostKey, startServer, type TestServer } from './servers.js';

describe('Express request metrics carry the outbound HTTP calls of the request', () => {
  const stats = createTestClient({ prefix: 'app' });
  let upstream: TestServer;
  let fetches: HttpClientInstrumentation;
  let inst: HttpClientInstrumentation;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let base: string;

  beforeAll(async () => {
    upstream = await startServer();
    fetches = instrumentFetch({ stats });
    inst = instrumentHttpClient({ stats });
    const app = express();
    app.use(statsdMiddleware({ client: stats }));
    app.get('/proxy/:id', async (_req, res) => {
      const a = await fetch(`${upstream.origin}/ok`);
      const first = (await a.json()) as { ok: boolean };
      const b = await axios.get(`${upstream.origin}/status/201`, { adapter: 'http' });
      res.json({ first: first.ok, second: b.status });
    });
    app.get('/none', (_req, res) => {
      res.send('no calls');
    });
    await new Promise<void>((resolve) => {
      server = app.listen(0, '127.0.0.1', () => resolve());
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    inst?.uninstall();
    fetches?.uninstall();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await upstream?.close();
  });

  it('a route making 2 outbound calls reports http.count 2 and their time for that request', async () => {
    stats.clear();
    // the test's own fetch is measured too, but outside any request: only the route's calls count
    const res = await fetch(`${base}/proxy/7`);
    expect(await res.json()).toEqual({ first: true, second: 201 });
    await vi.waitFor(() => expect(findMetrics(stats, 'app.http.view.proxy._id.http.count')).toHaveLength(1));

    expect(findMetrics(stats, 'app.http.view.proxy._id.http.count', { type: 'ms', value: 2 })).toHaveLength(
      1,
    );
    expect(findMetrics(stats, 'app.http.http.count', { type: 'ms', value: 2 })).toHaveLength(1);
    const [time] = findMetrics(stats, 'app.http.view.proxy._id.http.time', { type: 'ms' });
    const calls = findMetrics(stats, `app.http_client.${hostKey(upstream.port)}.GET`, { type: 'ms' });
    expect(calls).toHaveLength(2);
    // the request's http time is the sum of its calls' timers
    const sum = calls.reduce((s, m) => s + Number(m.value), 0);
    expect(Number(time?.value)).toBeCloseTo(sum, 2);
  });

  it('concurrent requests each get their own 2; a route without calls has none', async () => {
    stats.clear();
    const responses = await Promise.all([1, 2, 3].map((id) => fetch(`${base}/proxy/${id}`)));
    await Promise.all(responses.map((r) => r.text()));
    await (await fetch(`${base}/none`)).text();
    await vi.waitFor(() => {
      expect(findMetrics(stats, 'app.http.view.proxy._id.http.count')).toHaveLength(3);
      expect(findMetrics(stats, 'app.http.view.none.GET')).toHaveLength(1);
    });
    expect(findMetrics(stats, 'app.http.view.proxy._id.http.count').map((m) => m.value)).toEqual([2, 2, 2]);
    expect(findMetrics(stats, 'app.http.view.none.http.count')).toEqual([]);
  });
});
