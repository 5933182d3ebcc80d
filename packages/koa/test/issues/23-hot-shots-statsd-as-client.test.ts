/**
 * Regression (issue 23, item 12): a hot-shots compat `StatsD` as the middleware's `client` was read as
 * client options (a default client on 127.0.0.1:8125). Now the middleware sends through the instance's
 * `StatsClient`, on its own socket, with its prefix and global tags.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import StatsD from '@statskit/client/hot-shots';
import { statsdMiddleware } from '@statskit/koa';
import Koa from 'koa';
import { expect, it } from 'vitest';
import { udpReceiver } from '../../../client/test/helpers/udp-receiver.js';

it('the compat StatsD as `client`: route metrics arrive at its own host/port', async () => {
  await using rx = await udpReceiver();
  const statsd = new StatsD({
    port: rx.port,
    prefix: 'shop',
    globalTags: { env: 'test' },
    includeDataDogTags: false,
  });
  const app = new Koa();
  const router = new Router();
  router.get('/users/:id', (ctx) => {
    ctx.body = 'ok';
  });
  app.use(statsdMiddleware({ client: statsd, counterInterval: 0 }));
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as AddressInfo).port;
    await (await fetch(`http://127.0.0.1:${port}/users/1`)).text();
    await rx.waitFor((r) => r.lines.some((l) => l.startsWith('shop.http.view.users._id.response.200')));
  } finally {
    server.closeAllConnections();
    server.close();
  }
  await new Promise<void>((resolve) => statsd.close(() => resolve()));
  const route = rx.lines.filter((l) => l.startsWith('shop.http.view.users._id.'));
  expect(route).toContain('shop.http.view.users._id.response.200:1|c|#env:test');
  for (const l of route) expect(l, l).toMatch(/\|#env:test$/);
});
