/**
 * Issue 24 item 8: statsdMiddleware() added after the routes sent nothing for them, silently. Now: one
 * StatsKitWarning (at the first request that reaches it) naming the routes and the fix.
 */
import type { AddressInfo } from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import express from 'express';
import express4 from 'express4';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

type Factory = () => express.Express;
const versions: [string, Factory][] = [
  ['Express 5', express as unknown as Factory],
  ['Express 4', express4 as unknown as Factory],
];

let warnings: (Error & { code?: string })[] = [];
const listener = (w: Error) => warnings.push(w);
beforeEach(() => {
  warnings = [];
  process.on('warning', listener);
});
afterEach(() => {
  process.off('warning', listener);
});

const ours = () => warnings.filter((w) => w.code === 'STATSKIT_REGISTERED_AFTER_ROUTES');
const tick = () => new Promise<void>((r) => setImmediate(r));

async function serve(app: express.Express, paths: readonly string[]): Promise<void> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  try {
    for (const p of paths) await (await fetch(`http://127.0.0.1:${port}${p}`)).text();
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe.each(versions)('%s', (_v, create) => {
  test('added after routes: one warning naming them and the fix', async () => {
    const app = create();
    app.get('/early', (_req, res) => {
      res.send('ok');
    });
    const api = express.Router();
    api.post('/orders', (_req, res) => {
      res.send('ok');
    });
    app.use('/api', api);
    const mw = statsdMiddleware({ client: createTestClient() });
    app.use(mw);
    app.get('/late', (_req, res) => {
      res.send('ok');
    });
    await serve(app, ['/early', '/late', '/late', '/missing']);
    await mw.close();
    await tick();
    expect(ours()).toHaveLength(1);
    const message = ours()[0]?.message ?? '';
    expect(message).toContain('after 2 route(s) (GET /early, POST /orders)');
    expect(message).toContain('app.use() it before the routes');
  });

  test('added first: no warning', async () => {
    const app = create();
    const mw = statsdMiddleware({ client: createTestClient() });
    app.use(mw);
    app.get('/a', (_req, res) => {
      res.send('ok');
    });
    await serve(app, ['/a', '/missing']);
    await mw.close();
    await tick();
    expect(ours()).toEqual([]);
  });
});
