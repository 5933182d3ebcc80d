/**
 * Issue 21, as a new user met it: docs/migrating.md's express-hot-shots "after" code
 * (`new StatsClient({ host, port, prefix: 'shop' })` + `statsdMiddleware({ client: stats })`) against the
 * etsy daemon flushed 3 of 200 route timer samples and logged 788 bad lines, because the default sent
 * DogStatsD multi-value lines. The same app, 100 requests, one `timing('known.timer', id)` and 1–3
 * request-scoped DB operations per request, on default options: the etsy daemon (UDP) and collectd's
 * statsd plugin must compute every count, sum, mean and upper, and read every line.
 */
import type { AddressInfo } from 'node:net';
import { StatsClient } from '@statskit/client';
import { statsdMiddleware } from '@statskit/express';
import { currentRequest } from '@statskit/instrument';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { startCollectd } from '../../../client/test/helpers/collectd.js';
import { startStatsd, waitUntil } from '../../../client/test/helpers/statsd-daemon.js';

const N = 100;
/** Request `id` makes `(id % 3) + 1` DB operations: 200 over ids 1..100, between 1 and 3 each. */
const dbOps = (id: number): number => (id % 3) + 1;

/** Serve the app with a client on default options at `port`, make the N requests, close everything. */
async function serve(port: number): Promise<void> {
  const stats = new StatsClient({ host: '127.0.0.1', port, prefix: 'shop' });
  const mw = statsdMiddleware({ client: stats, context: true }); // request-scoped counts from the first request
  const app = express();
  app.use(mw);
  app.get('/users/:id', (req, res) => {
    const id = Number(req.params.id);
    for (let i = 0; i < dbOps(id); i++) currentRequest()?.add('db', 0.5);
    stats.timing('known.timer', id);
    // collectd ignores timer values under 1 ms (docs/protocol.md): every request takes a few
    setTimeout(() => res.json({ id }), 2);
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (let id = 1; id <= N; id++) await (await fetch(`${base}/users/${id}`)).arrayBuffer();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await mw.close();
    await stats.close();
  }
}

describe('an Express app on default client options', () => {
  it('the etsy statsd daemon counts every request, timer sample and DB operation, and reads every line', async () => {
    await using daemon = await startStatsd({ flushInterval: 500 });
    await serve(daemon.udpPort);
    const t = (path: string) => `stats.timers.shop.${path}`;
    await daemon.waitForValue(t('known.timer.count'));
    await daemon.nextFlush();
    await daemon.nextFlush();
    // the requests span several flushes: add the counts and sums, keep the largest upper
    const timer = (path: string) => {
      const count = daemon.sum(t(`${path}.count`));
      const sum = daemon.sum(t(`${path}.sum`));
      const uppers = daemon.flushes.map((f) => f.get(t(`${path}.upper`))).filter((v) => v !== undefined);
      return { count, sum, mean: sum / count, upper: Math.max(...uppers) };
    };
    expect(timer('known.timer')).toEqual({ count: N, sum: 5050, mean: 50.5, upper: 100 });
    expect(timer('http.view.users._id.GET').count).toBe(N);
    expect(timer('http.view.users._id.db.count')).toEqual({ count: N, sum: 200, mean: 2, upper: 3 });
    expect(daemon.sum('stats.counters.shop.http.view.users._id.response.200.count')).toBe(N);
    expect(daemon.badLines()).toBe(0);
    expect(daemon.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
  }, 30_000);

  it("collectd's statsd plugin counts every request, timer sample and DB operation, and parses every line", async () => {
    await using collectd = await startCollectd();
    await serve(collectd.port);
    await waitUntil(
      () => collectd.counter('shop.http.view.users._id.response.200') === N,
      10_000,
      `the response counter at ${N}:\n${collectd.log()}`,
    );
    await collectd.nextRead();
    const timer = (name: string) => {
      const got = collectd.timer(`shop.${name}`);
      return got && { count: got.count, sum: got.sum, mean: got.mean, upper: got.upper, lower: got.lower };
    };
    expect(timer('known.timer')).toEqual({ count: N, sum: 5050, mean: 50.5, upper: 100, lower: 1 });
    expect(timer('http.view.users._id.GET')?.count).toBe(N);
    expect(timer('http.view.users._id.db.count')).toEqual({
      count: N,
      sum: 200,
      mean: 2,
      upper: 3,
      lower: 1,
    });
    expect(collectd.counter('shop.http.view.users._id.response.200')).toBe(N);
    expect(collectd.badLines()).toEqual([]);
  }, 30_000);
});
