/**
 * Issue 24 item 8: the plugin registered after the routes measured them as `__unmatched__` (their
 * config.stats unread), silently. Now: one StatsKitWarning naming the routes and the fix.
 */
import type net from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import statskit from '@statskit/fastify';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { FastifyFactory } from '../helpers/app.js';

const versions: [string, FastifyFactory][] = [
  ['Fastify 5', fastify5 as unknown as FastifyFactory],
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
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

describe.each(versions)('%s', (_v, fastify) => {
  test('registered after routes: one warning naming them and the fix', async () => {
    const stats = createTestClient();
    const app = fastify({ logger: false });
    app.get('/early', async () => 'ok');
    app.post('/items/:id', async () => 'ok');
    await app.register(statskit, { client: stats });
    app.get('/late', async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;
    for (const p of ['/early', '/early', '/late']) await (await fetch(`http://127.0.0.1:${port}${p}`)).text();
    await app.close();
    await tick();
    expect(ours()).toHaveLength(1);
    const message = ours()[0]?.message ?? '';
    expect(message).toContain('after 2 route(s) (GET /early, POST /items/:id)');
    expect(message).toContain('__unmatched__');
    expect(message).toContain('Register it before the routes');
    expect(ours()[0]?.name).toBe('StatsKitWarning');
  });

  test('registered first: no warning', async () => {
    const app = fastify({ logger: false });
    await app.register(statskit, { client: createTestClient() });
    app.get('/a', async () => 'ok');
    await app.ready();
    await app.close();
    await tick();
    expect(ours()).toEqual([]);
  });
});
