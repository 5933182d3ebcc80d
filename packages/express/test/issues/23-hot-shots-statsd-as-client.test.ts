/**
 * Regression (issue 23, item 12): a hot-shots compat `StatsD` passed as `client` — a natural step in
 * the middle of a migration — type-errored (`Property '#private' …`) and at run time was read as client
 * options: a default client on 127.0.0.1:8125 was created and nothing reached the StatsD instance's
 * port. Now it is accepted: the middleware sends through the `StatsClient` on the instance's own socket,
 * with its prefix and global tags.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import StatsD from '@statskit/client/hot-shots';
import { statsdMiddleware } from '@statskit/express';
import express from 'express';
import { expect, it, vi } from 'vitest';
import { udpReceiver } from '../../../client/test/helpers/udp-receiver.js';

it('the compat StatsD as `client`: route metrics arrive at its own host/port, with its prefix and tags', async () => {
  const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  await using rx = await udpReceiver();
  const errors: Error[] = [];
  const statsd = new StatsD({
    host: '127.0.0.1',
    port: rx.port,
    prefix: 'shop',
    globalTags: { env: 'test' },
    includeDataDogTags: false,
    errorHandler: (e) => errors.push(e),
  });
  const app = express();
  // no cast: the type accepts the compat class
  app.use(statsdMiddleware({ client: statsd, counterInterval: 0 }));
  app.get('/users/:id', (_req, res) => {
    res.send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as AddressInfo).port;
    for (let i = 0; i < 2; i++) await (await fetch(`http://127.0.0.1:${port}/users/${i}`)).text();
    statsd.increment('own.metric');
    await rx.waitFor(
      (r) => r.lines.filter((l) => l.startsWith('shop.http.view.users._id.GET:')).length === 2,
    );
  } finally {
    server.closeAllConnections();
    server.close();
    warn.mockRestore();
  }
  await new Promise<void>((resolve) => statsd.close(() => resolve()));
  const route = rx.lines.filter((l) => l.startsWith('shop.http.view.users._id.'));
  expect(route.filter((l) => l.startsWith('shop.http.view.users._id.GET:'))).toHaveLength(2);
  expect(route.filter((l) => l === 'shop.http.view.users._id.response.200:1|c|#env:test')).toHaveLength(2);
  for (const l of route) expect(l, l).toMatch(/\|#env:test$/);
  expect(rx.lines).toContain('shop.own.metric:1|c|#env:test');
  // the options warnings of the old behaviour (`CHECKS`, `mockBuffer` read as client options) are gone
  expect(warn.mock.calls.map((c) => String(c[0])).join('\n')).not.toMatch(/CHECKS|mockBuffer/);
  expect(errors).toEqual([]);
});
