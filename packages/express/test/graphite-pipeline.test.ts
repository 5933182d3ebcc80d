/**
 * The classic pipeline, with real servers end to end: an Express app with statsdMiddleware → the real
 * etsy statsd daemon (npm `statsd`, Graphite backend) → carbon-cache → graphite-web's render API. A known
 * request mix must come out with the values statsd documents: counters' `count` and `rate`, timers'
 * `count`, `mean`, `upper_90`, `count_ps`. The timer values are the ones statskit put on the wire
 * (recorded by the transport), so the test computes exactly what statsd must.
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { MemoryTransport, StatsClient } from '@statskit/client';
import { statsdMiddleware } from '@statskit/express';
import express from 'express';
import { describe, expect, it } from 'vitest';
import {
  graphiteUp,
  history,
  startCarbonStatsd,
  testPrefix,
  waitFor,
} from '../../client/test/helpers/graphite.js';

const up = await graphiteUp();
const FLUSH_MS = 2000;

describe.skipIf(!up)('Express → statsd daemon → carbon → graphite-web', () => {
  it('per-route timers and status counters come out with statsd’s count, mean, upper_90 and rates', async () => {
    const globalPrefix = testPrefix('pipeline');
    await using daemon = await startCarbonStatsd({ globalPrefix, flushInterval: FLUSH_MS });

    // every packet statskit sends, recorded, then forwarded to the daemon over UDP
    const sock = dgram.createSocket('udp4');
    const wire: string[] = [];
    const stats = new StatsClient({
      prefix: 'shop',
      tagFormat: 'none',
      aggregate: false, // the lines are checked one value each below
      flushInterval: 60_000, // only flush() sends: the whole mix reaches the daemon in one burst
      transport: {
        send(packet: string) {
          wire.push(packet);
          sock.send(packet, daemon.udpPort, '127.0.0.1');
        },
        flush: async () => {},
        close: async () => {},
      },
    });
    const mw = statsdMiddleware({ client: stats, counterInterval: 60_000 });
    const app = express();
    app.use(mw);
    app.get('/users/:id', (_req, res) => {
      res.json({ ok: true });
    });
    app.post('/orders', (_req, res) => {
      setTimeout(() => res.status(201).end(), 2);
    });
    app.get('/boom', () => {
      throw new Error('boom');
    });
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).end();
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const mix: Array<[string, string, number]> = [
      ['GET', '/users/1', 20],
      ['GET', '/users/2', 10],
      ['POST', '/orders', 12],
      ['GET', '/boom', 4],
      ['GET', '/nowhere', 3],
    ];
    for (const [method, path, n] of mix) {
      for (let i = 0; i < n; i++) await (await fetch(`${base}${path}`, { method })).arrayBuffer();
    }
    await new Promise<void>((r) => server.close(() => r()));
    await mw.close(); // the summed counters, then flush(): one burst
    await new Promise((r) => setTimeout(r, 50));
    sock.close();
    await stats.close();

    // what statskit sent, by name: timer samples and counter sums
    const timers = new Map<string, number[]>();
    const counters = new Map<string, number>();
    for (const line of wire.join('\n').split('\n')) {
      const m = /^([^:]+):([^|]+)\|(ms|c)$/.exec(line);
      expect(m, line).not.toBeNull();
      const [, name, v, type] = m as unknown as [string, string, string, string];
      if (type === 'ms') timers.set(name, [...(timers.get(name) ?? []), Number(v)]);
      else counters.set(name, (counters.get(name) ?? 0) + Number(v));
    }
    expect(counters.get('shop.http.view.users._id.response.200')).toBe(30);
    expect(counters.get('shop.http.view.orders.response.201')).toBe(12);
    expect(counters.get('shop.http.view.boom.response.5xx')).toBe(4);
    expect(timers.get('shop.http.view.users._id.GET')).toHaveLength(30);

    // what statsd documents for one flush: count, rate = count / flush seconds; timers: count, mean,
    // upper_90 = the largest of the lowest round(90% × count) samples, count_ps = count / flush seconds
    const want = new Map<string, number>();
    for (const [name, sum] of counters) {
      want.set(`${globalPrefix}.counters.${name}.count`, sum);
      want.set(`${globalPrefix}.counters.${name}.rate`, sum / (FLUSH_MS / 1000));
    }
    const closeTo = new Map<string, number>();
    for (const [name, samples] of timers) {
      const sorted = [...samples].sort((a, b) => a - b);
      const n = sorted.length;
      want.set(`${globalPrefix}.timers.${name}.count`, n);
      want.set(`${globalPrefix}.timers.${name}.count_ps`, n / (FLUSH_MS / 1000));
      want.set(`${globalPrefix}.timers.${name}.upper`, sorted[n - 1] as number);
      want.set(`${globalPrefix}.timers.${name}.upper_90`, sorted[Math.round(0.9 * n) - 1] as number);
      closeTo.set(`${globalPrefix}.timers.${name}.mean`, sorted.reduce((a, b) => a + b, 0) / n);
    }
    const targets = [...want.keys(), ...closeTo.keys()];
    let seen = new Map<string, number[]>();
    await waitFor(
      async () => {
        seen = await history(targets);
        return targets.every((t) => (seen.get(t)?.length ?? 0) > 0) ? true : undefined;
      },
      20_000,
      'every series in graphite-web',
      () => targets.filter((t) => !seen.has(t)),
    );
    for (const [t, v] of want) expect(seen.get(t), t).toEqual([v]); // one flush, one point
    for (const [t, v] of closeTo) {
      expect(seen.get(t), t).toHaveLength(1);
      expect(seen.get(t)?.[0], t).toBeCloseTo(v, 9);
    }
    expect(want.size).toBeGreaterThan(20);
  }, 60_000);
});

describe('Express → direct carbon reporter', () => {
  it('the request metrics flow through the carbon reporter unchanged: same names, carbon stats', async () => {
    const mem = new MemoryTransport();
    const stats = new StatsClient({ prefix: 'shop', transport: mem, carbon: { interval: 60_000 } });
    const mw = statsdMiddleware({ client: stats });
    const app = express();
    app.use(mw);
    app.get('/users/:id', (_req, res) => {
      res.json({ ok: true });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (let i = 0; i < 7; i++) await (await fetch(`${base}/users/${i}`)).arrayBuffer();
    await new Promise<void>((r) => server.close(() => r()));
    await mw.close();
    await stats.close();
    const values = new Map<string, number>();
    for (const line of mem.lines.join('\n').split('\n')) {
      const [path, value, ts] = line.split(' ');
      expect(Number(ts)).toBeGreaterThan(1_600_000_000);
      values.set(path as string, Number(value));
    }
    expect(values.get('shop.http.view.users._id.GET.count')).toBe(7);
    expect(values.get('shop.http.view.users._id.response.200.count')).toBe(7);
    expect(values.get('shop.http.view.users._id.response.2xx.count')).toBe(7);
    expect(values.get('shop.http.request.count')).toBe(7);
    for (const stat of ['min', 'max', 'mean', 'stddev', 'p50', 'p95', 'p999', 'm1_rate', 'mean_rate']) {
      expect(values.has(`shop.http.view.users._id.GET.${stat}`), stat).toBe(true);
    }
  });
});
