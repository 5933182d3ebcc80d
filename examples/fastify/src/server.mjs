// A small Fastify app measured by @statskit/fastify.
//   npm start --workspace @statskit/example-fastify      (statsd at STATSD_HOST:STATSD_PORT, default 127.0.0.1:8125)
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import statskit, { closeOnSignal } from '@statskit/fastify';
import Fastify from 'fastify';

/**
 * Build the app. `client` is a StatsClient or client options (default: the etsy statsd daemon at STATSD_HOST/STATSD_PORT).
 * Every request reports `http.view.<route>.<METHOD>` timers and status counters (docs/metrics.md).
 */
export async function buildApp({ client = { prefix: 'example', server: 'etsy' } } = {}) {
  const app = Fastify({ logger: false });
  await app.register(statskit, { client, exclude: ['/healthz'] });

  app.get('/healthz', async () => 'ok');
  app.get('/users/:id', async (request) => {
    request.stats.incr('users.lookups'); // your own metrics, through the same client
    return { id: request.params.id };
  });
  app.post('/orders', async (_request, reply) => reply.code(201).send({ ok: true }));
  app.get('/admin', { config: { stats: false } }, async () => 'not measured');
  // Answers the headers at once and the rest `ms` later (at most 5 s): a request still in flight.
  app.get('/slow', async (request, reply) => {
    const body = new PassThrough();
    body.write('working...');
    setTimeout(() => body.end(' done'), Math.min(Number(request.query.ms) || 100, 5000));
    return reply.type('text/plain').send(body);
  });
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
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
  // SIGTERM/SIGINT: app.close() lets in-flight requests finish (10 s at most); the plugin's onClose hook
  // sends the pending metrics and closes the client; then the process exits as the signal would.
  closeOnSignal(app);
  console.log(`listening on http://127.0.0.1:${app.server.address().port}`);
}
