/**
 * Issue 22 item 13: an upload aborted mid-body on a matched route (`POST /items`) was counted as
 * `__unmatched__.response.499` (the route was only known once the handler ran, after the body); Express
 * and Koa count it under `items`. Real Fastify servers, a real socket destroyed mid-body.
 */
import net from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import statskit from '@statskit/fastify';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, test } from 'vitest';
import type { FastifyFactory } from '../helpers/app.js';

const versions: [string, FastifyFactory][] = [
  ['Fastify 5', fastify5 as unknown as FastifyFactory],
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `method` `path` announcing 100 kB of JSON, send 20 bytes of it, then destroy the socket. */
async function abortedUpload(port: number, path: string, method = 'POST'): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"a very long`,
  );
  await sleep(100); // the server has the headers and part of the body
  socket.destroy();
}

describe.each(versions)('%s: an upload aborted mid-body', (_v, fastify) => {
  test.each([
    ['channels (default)', {}],
    ['hooks (an exclude function)', { exclude: () => false }],
  ])('%s: counted under its route, as a 499', async (_path, extra) => {
    const stats = createTestClient();
    const app: FastifyInstance = fastify({ logger: false });
    await app.register(statskit, { client: stats, ...extra });
    let handled = 0;
    app.post('/items', async () => {
      handled++;
      return { ok: true };
    });
    app.post('/items/:id/parts', async () => 'ok');
    app.put('/blobs/:id', { config: { stats: { name: 'blob_upload' } } }, async () => 'ok');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as net.AddressInfo;
    await abortedUpload(port, '/items');
    await abortedUpload(port, '/items/7/parts');
    await abortedUpload(port, '/blobs/1', 'PUT');
    await sleep(200); // the server has seen both sockets close
    await app.close(); // sends the summed status counters
    const names = stats.metrics.map((m) => m.name).filter((n) => n.startsWith('http.view.'));
    expect(handled).toBe(0);
    expect(names.filter((n) => n.endsWith('.response.499')).sort()).toEqual([
      'http.view.blob_upload.response.499', // the route's config.stats applies too
      'http.view.items._id.parts.response.499',
      'http.view.items.response.499',
    ]);
    expect(names.some((n) => n.includes('__unmatched__'))).toBe(false);
  });
});
