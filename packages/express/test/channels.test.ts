/** Issue 16: the middleware ends requests from node:http's finish channel, with no listener per request. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import type { ExpressModule } from './helpers/app.js';

const versions: [string, ExpressModule][] = [
  ['Express 5', express5],
  ['Express 4', express4 as ExpressModule],
];

describe.each(versions)('%s', (_name, express) => {
  it('adds no close/finish listener to the request or the response', async () => {
    const seen: number[][] = [];
    for (const withMiddleware of [false, true]) {
      const app = express();
      if (withMiddleware) app.use(statsdMiddleware({ client: createTestClient() }));
      let counts: number[] = [];
      app.get('/count', (req, res) => {
        counts = [req.listenerCount('close'), res.listenerCount('close'), res.listenerCount('finish')];
        res.send('ok');
      });
      const server = app.listen(0, '127.0.0.1');
      await once(server, 'listening');
      try {
        const port = (server.address() as AddressInfo).port;
        await (await fetch(`http://127.0.0.1:${port}/count`)).arrayBuffer();
        seen.push(counts);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});
