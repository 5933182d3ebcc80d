/**
 * Regression (issue 23, item 12): a hot-shots compat `StatsD` as the plugin's `client` was read as
 * client options (a default client on 127.0.0.1:8125). Now the plugin sends through the instance's
 * `StatsClient`, on its own socket, with its prefix and global tags.
 */
import StatsD from '@statskit/client/hot-shots';
import statskit from '@statskit/fastify';
import fastify from 'fastify';
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
  const app = fastify();
  await app.register(statskit, { client: statsd, counterInterval: 0 });
  app.get('/users/:id', async () => 'ok');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  await (await fetch(`http://127.0.0.1:${port}/users/1`)).text();
  await app.close();
  await new Promise<void>((resolve) => statsd.close(() => resolve()));
  await rx.waitFor((r) => r.lines.some((l) => l.startsWith('shop.http.view.users._id.')));
  const route = rx.lines.filter((l) => l.startsWith('shop.http.view.users._id.'));
  expect(route).toContain('shop.http.view.users._id.response.200:1|c|#env:test');
  for (const l of route) expect(l, l).toMatch(/\|#env:test$/);
});
