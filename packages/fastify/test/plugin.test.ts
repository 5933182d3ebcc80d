/**
 * Fastify-specific behaviour on real servers (Fastify 4 and 5): per-route `config.stats`, the
 * decorations, onClose, custom error and not-found handlers, option validation.
 */
import { InvalidOptionError, type StatsClient } from '@statskit/client';
import { createTestClient, MemoryTransport, type TestStatsClient } from '@statskit/client/testing';
import statskit, { type StatskitFastifyOptions } from '@statskit/fastify';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it } from 'vitest';
import { type FastifyFactory, serve } from './helpers/app.js';

const versions: [string, FastifyFactory][] = [
  ['Fastify 5', fastify5 as unknown as FastifyFactory],
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
];

/** Register the plugin, let `routes` add routes, serve, GET each path, close (flushing counters). */
async function exercise(
  fastify: FastifyFactory,
  options: StatskitFastifyOptions,
  routes: (app: FastifyInstance) => void,
  paths: readonly string[],
): Promise<{ app: FastifyInstance; statuses: number[] }> {
  const app = fastify({ logger: false });
  await app.register(statskit, options);
  routes(app);
  const server = await serve(app);
  const statuses: number[] = [];
  try {
    for (const p of paths) {
      const res = await fetch(`${server.url}${p}`);
      await res.arrayBuffer();
      statuses.push(res.status);
    }
  } finally {
    await server.close();
  }
  return { app, statuses };
}

function names(stats: TestStatsClient): string[] {
  return stats.metrics.map((m) => `${m.name}|${m.type}`);
}

describe.each(versions)('%s', (_name, fastify) => {
  it('config.stats: false leaves a route unmeasured; { name, tags } renames and tags it', async () => {
    const stats = createTestClient();
    await exercise(
      fastify,
      { client: stats },
      (app) => {
        app.get('/healthz', { config: { stats: false } }, async () => 'ok');
        app.get(
          '/users/:id',
          { config: { stats: { name: 'users.show', tags: { team: 'core' } } } },
          async () => 'ok',
        );
      },
      ['/healthz', '/users/1', '/users/2'],
    );
    expect(names(stats).filter((n) => n.includes('healthz'))).toEqual([]);
    expect(stats.metrics.filter((m) => m.name === 'http.request')).toHaveLength(2);
    const timers = stats.metrics.filter((m) => m.name === 'http.view.users.show.GET');
    expect(timers).toHaveLength(2);
    for (const t of timers) expect(t.tags).toEqual({ team: 'core' });
    const counter = stats.metrics.find((m) => m.name === 'http.view.users.show.response.200');
    expect(counter?.value).toBe(2);
  });

  it('decorates fastify.stats (the client) and request.stats (a child of it)', async () => {
    const stats = createTestClient();
    let seen: StatsClient | undefined;
    const { app } = await exercise(
      fastify,
      { client: stats },
      (a) => {
        a.get('/signup', async (request) => {
          seen = request.stats;
          request.stats.incr('signups');
          return 'ok';
        });
      },
      ['/signup'],
    );
    expect(app.stats).toBe(stats);
    expect(seen).toBeDefined();
    expect(seen).not.toBe(stats);
    expect(stats.metrics.find((m) => m.name === 'signups')?.value).toBe(1);
  });

  it('closes a client it created when Fastify closes; only flushes one it was given', async () => {
    const memory = new MemoryTransport();
    const own = await exercise(fastify, { client: { transport: memory } }, (a) => a.get('/', () => 'ok'), [
      '/',
    ]);
    expect(own.app.stats.closed).toBe(true);
    expect(memory.lines.some((l) => l.startsWith('http.response.200:1|c'))).toBe(true);

    const given = createTestClient();
    await exercise(fastify, { client: given }, (a) => a.get('/', () => 'ok'), ['/']);
    expect(given.closed).toBe(false);
    expect(given.lines.some((l) => l.startsWith('http.response.200:1|c'))).toBe(true);
  });

  it('records the status a custom error handler sends, and the error', async () => {
    const stats = createTestClient();
    const { statuses } = await exercise(
      fastify,
      { client: stats },
      (app) => {
        app.setErrorHandler(async (_err, _request, reply) => reply.code(503).send('later'));
        app.get('/flaky', async () => {
          throw new Error('flaky');
        });
      },
      ['/flaky'],
    );
    expect(statuses).toEqual([503]);
    const sent = names(stats);
    expect(sent).toContain('http.view.flaky.response.503|c');
    expect(sent).toContain('http.errors|c');
    expect(sent).not.toContain('http.response.200|c');
    expect(sent).not.toContain('http.response.500|c');
  });

  it('a custom not-found handler still reports the unmatched key', async () => {
    const stats = createTestClient();
    await exercise(
      fastify,
      { client: stats },
      (app) => {
        app.setNotFoundHandler((_request, reply) => reply.code(404).send('nope'));
      },
      ['/a', '/b/c'],
    );
    expect(stats.metrics.filter((m) => m.name === 'http.view.__unmatched__.GET')).toHaveLength(2);
  });

  it('the metric prefix option is not taken as a route prefix', async () => {
    const stats = createTestClient();
    const { statuses } = await exercise(
      fastify,
      { client: stats, prefix: 'web' },
      (app) => app.get('/x/:id', async () => 'ok'),
      ['/x/1'],
    );
    expect(statuses).toEqual([200]);
    expect(names(stats)).toContain('web.view.x._id.GET|ms');
  });

  it('a request whose connection times out (connectionTimeout) is a timed 499, counted once', async () => {
    const stats = createTestClient();
    const app = (fastify as unknown as (o: object) => FastifyInstance)({
      logger: false,
      connectionTimeout: 150,
    });
    await app.register(statskit, { client: stats });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    app.get('/slow/:id', async () => {
      await held;
      return 'late';
    });
    const server = await serve(app);
    try {
      const outcome = await fetch(`${server.url}/slow/1`).then(
        (res) => `status ${res.status}`,
        (err: unknown) => `failed: ${String((err as { cause?: { code?: string } }).cause?.code ?? err)}`,
      );
      expect(outcome).toMatch(/^failed/); // the server hung up after 150 ms
      await new Promise<void>((resolve) => setTimeout(resolve, 20));
    } finally {
      release();
      await server.close();
    }
    const timer = stats.metrics.filter((m) => m.name === 'http.view.slow._id.GET');
    expect(timer).toHaveLength(1);
    expect(timer[0]?.value as number).toBeGreaterThanOrEqual(140);
    expect(names(stats)).toContain('http.view.slow._id.response.499|c');
    expect(names(stats)).not.toContain('http.view.slow._id.response.200|c');
  });

  it('a key function overrides the route key', async () => {
    const stats = createTestClient();
    await exercise(
      fastify,
      {
        client: stats,
        key: (request, _reply, route) => (request.headers['x-v'] ? `/v/${route}` : undefined),
      },
      (app) => app.get('/k', async () => 'ok'),
      ['/k'],
    );
    expect(names(stats)).toContain('http.view.k.GET|ms');
  });

  it('rejects invalid options at registration', async () => {
    const app = fastify({ logger: false });
    await expect(
      app.register(statskit, { client: createTestClient(), mode: 'labels' as 'tags' }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
    const app2 = fastify({ logger: false });
    await expect(
      app2.register(statskit, { client: createTestClient(), skipMethods: 'GET' as unknown as string[] }),
    ).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('rejects a malformed config.stats when the route is added', async () => {
    const app = fastify({ logger: false });
    await app.register(statskit, { client: createTestClient() });
    expect(() => app.get('/bad', { config: { stats: 'no' as unknown as false } }, async () => 'ok')).toThrow(
      /config\.stats/,
    );
  });
});
