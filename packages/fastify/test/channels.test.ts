/**
 * Issue 16: the plugin times requests from node:http's server diagnostics channels instead of request
 * hooks (Fastify 4 and 5).
 */
import dc from 'node:diagnostics_channel';
import { createTestClient } from '@statskit/client/testing';
import statskit from '@statskit/fastify';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it } from 'vitest';
import { type FastifyFactory, serve } from './helpers/app.js';

const versions: [string, FastifyFactory][] = [
  ['Fastify 5', fastify5 as unknown as FastifyFactory],
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
];

const start = dc.channel('http.server.request.start');
const finish = dc.channel('http.server.response.finish');

describe.each(versions)('%s', (_name, fastify) => {
  it('subscribes to the server channels while an app is open, and unsubscribes when it closes', async () => {
    expect(start.hasSubscribers).toBe(false);
    const app = fastify({ logger: false });
    await app.register(statskit, { client: createTestClient() });
    app.get('/', () => 'ok');
    const server = await serve(app);
    expect(start.hasSubscribers).toBe(true);
    expect(finish.hasSubscribers).toBe(true);
    await server.close();
    expect(start.hasSubscribers).toBe(false);
    expect(finish.hasSubscribers).toBe(false);
  });

  it("a request answered by the app's own onRequest hook (added before the plugin) is measured", async () => {
    const stats = createTestClient();
    const app = fastify({ logger: false });
    app.addHook('onRequest', (_request, reply, done) => {
      reply.code(401).send('no');
      done();
    });
    await app.register(statskit, { client: stats });
    app.get('/private', () => 'secret');
    const server = await serve(app);
    try {
      const res = await fetch(`${server.url}/private`);
      expect(res.status).toBe(401);
      await res.arrayBuffer();
    } finally {
      await server.close(); // flushes the summed counters
    }
    expect(stats.metrics.filter((m) => m.name === 'http.request' && m.type === 'ms')).toHaveLength(1);
    expect(stats.metrics.some((m) => m.name === 'http.response.401' && m.value === 1)).toBe(true);
  });

  it('adds no listener to the request, the response or their socket per request', async () => {
    const counts = (app: ReturnType<FastifyFactory>) =>
      new Promise<number[]>((resolve) => {
        app.get('/count', (request, reply) => {
          const raw = request.raw;
          resolve([
            raw.listenerCount('close'),
            reply.raw.listenerCount('close'),
            reply.raw.listenerCount('finish'),
          ]);
          reply.send('ok');
        });
      });
    const seen: number[][] = [];
    for (const withPlugin of [false, true]) {
      const app = fastify({ logger: false });
      if (withPlugin) await app.register(statskit, { client: createTestClient() });
      const counted = counts(app);
      const server = await serve(app);
      try {
        await (await fetch(`${server.url}/count`)).arrayBuffer();
        seen.push(await counted);
      } finally {
        await server.close();
      }
    }
    expect(seen[1]).toEqual(seen[0]);
  });

  it('inject() requests (no server, no channel) are measured from the handler; excluded ones are not', async () => {
    const stats = createTestClient();
    const app = fastify({ logger: false });
    await app.register(statskit, { client: stats, exclude: ['/healthz'] });
    app.get('/users/:id', async () => 'ok');
    app.get('/healthz', async () => 'ok');
    expect((await app.inject({ url: '/users/7' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await app.close();
    expect(stats.metrics.filter((m) => m.name === 'http.view.users._id.GET')).toHaveLength(1);
    expect(stats.metrics.filter((m) => m.name === 'http.request')).toHaveLength(1);
    expect(stats.metrics.some((m) => m.name.includes('healthz'))).toBe(false);
  });
});
