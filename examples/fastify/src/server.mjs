// A small Fastify app measured by @statskit/fastify.
//   npm start --workspace @statskit/example-fastify      (statsd at STATSD_HOST:STATSD_PORT, default 127.0.0.1:8125)
import { pathToFileURL } from 'node:url';
import statskit from '@statskit/fastify';
import Fastify from 'fastify';

/**
 * Build the app. `client` is a StatsClient or client options (default: from STATSD_HOST/STATSD_PORT).
 * Every request reports `http.view.<route>.<METHOD>` timers and status counters (docs/metrics.md).
 */
export async function buildApp({ client = { prefix: 'example' } } = {}) {
  const app = Fastify({ logger: false });
  await app.register(statskit, { client, exclude: ['/healthz'] });

  app.get('/healthz', async () => 'ok');
  app.get('/users/:id', async (request) => {
    request.stats.incr('users.lookups'); // your own metrics, through the same client
    return { id: request.params.id };
  });
  app.post('/orders', async (_request, reply) => reply.code(201).send({ ok: true }));
  app.get('/admin', { config: { stats: false } }, async () => 'not measured');
  app.get('/boom', async () => {
    throw new Error('boom');
  });
  // Routes under a prefix are keyed with it: api.v1.items._id
  app.register(
    async (api) => {
      api.get('/items/:id', async (request) => ({ item: request.params.id }));
    },
    { prefix: '/api/v1' },
  );
  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const app = await buildApp();
  const port = Number(process.env.PORT ?? 3000);
  await app.listen({ port, host: '127.0.0.1' });
  console.log(`listening on http://127.0.0.1:${port}`);
}
