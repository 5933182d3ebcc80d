/**
 * Two statsdMiddleware() on one app (found while building the Graphite demo): the second replaced the
 * first's per-request state, so the first client sent nothing. Now the first one measures the request,
 * the second leaves it alone and warns once.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import type { ExpressModule } from '../helpers/app.js';

const versions: [string, ExpressModule][] = [
  ['Express 5', express5],
  ['Express 4', express4 as ExpressModule],
];

describe.each(versions)('%s', (_name, express) => {
  it('two middlewares: the first measures every request, the second warns once and sends nothing', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const codes: (string | undefined)[] = [];
    const first = createTestClient();
    const second = createTestClient();
    const app = express();
    app.use(statsdMiddleware({ client: first, counterInterval: 0 }));
    app.use(statsdMiddleware({ client: second, counterInterval: 0 }));
    app.get('/users/:id', (_req, res) => {
      res.send('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const port = (server.address() as AddressInfo).port;
      for (let i = 0; i < 3; i++) await (await fetch(`http://127.0.0.1:${port}/users/${i}`)).text();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      codes.push(...warn.mock.calls.map((c) => (c[1] as { code?: string } | undefined)?.code));
      server.closeAllConnections();
      server.close();
      warn.mockRestore();
    }
    expect(first.lines.filter((l) => l.startsWith('http.view.users._id.GET:'))).toHaveLength(3);
    expect(first.lines.filter((l) => l === 'http.view.users._id.response.200:1|c')).toHaveLength(3);
    expect(second.lines).toEqual([]);
    expect(codes.filter((c) => c === 'STATSKIT_SECOND_MIDDLEWARE')).toHaveLength(1);
  });
});
