/**
 * Issue 26: the middleware times a request from node:http's `http.server.request.start` channel (not
 * from when the middleware runs), so what ran before it counts; the channel is held while a middleware
 * is open and released by `close()`.
 */
import dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it } from 'vitest';
import type { ExpressModule } from '../helpers/app.js';

const versions: [string, ExpressModule][] = [
  ['Express 5', express5],
  ['Express 4', express4 as ExpressModule],
];

const DELAY_MS = 40;

describe.each(versions)('%s', (_name, express) => {
  it('the timer covers a middleware that ran before statsdMiddleware()', async () => {
    const client = createTestClient();
    const app = express();
    app.use((_req, _res, next) => {
      setTimeout(next, DELAY_MS);
    });
    const metrics = statsdMiddleware({ client, counterInterval: 0 });
    app.use(metrics);
    app.get('/users/:id', (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      // Three requests on one keep-alive connection: each is timed from its own start.
      for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${port}/users/${i}`)).text();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      server.closeAllConnections();
      server.close();
      await metrics.close();
    }
    const timers = client.lines.filter((l) => l.startsWith('http.view.users._id.GET:'));
    expect(timers).toHaveLength(3);
    for (const line of timers) {
      const ms = Number(line.slice('http.view.users._id.GET:'.length, line.indexOf('|')));
      expect(ms).toBeGreaterThanOrEqual(DELAY_MS - 1); // timers may fire up to 1 ms early
    }
    expect(client.lines.filter((l) => l === 'http.view.users._id.response.200:1|c')).toHaveLength(3);
  });

  it('holds the http.server.request.start channel until close()', async () => {
    const before = dc.hasSubscribers('http.server.request.start');
    const metrics = statsdMiddleware({ client: createTestClient() });
    expect(dc.hasSubscribers('http.server.request.start')).toBe(true);
    await metrics.close();
    expect(dc.hasSubscribers('http.server.request.start')).toBe(before);
  });
});
