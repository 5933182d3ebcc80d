// A small Koa app with @koa/router, measured by @statskit/koa.
//   npm start --workspace @statskit/example-koa      (statsd at STATSD_HOST:STATSD_PORT, default 127.0.0.1:8125)
import { pathToFileURL } from 'node:url';
import Router from '@koa/router';
import { statsdMiddleware } from '@statskit/koa';
import Koa from 'koa';

/**
 * Build the app. `client` is a StatsClient or client options (default: from STATSD_HOST/STATSD_PORT).
 * Returns the app and the middleware (call `stats.close()` on shutdown to send pending counters).
 */
export function buildApp({ client = { prefix: 'example' } } = {}) {
  const app = new Koa();
  app.silent = true;
  const stats = statsdMiddleware({ client, exclude: ['/healthz'] });
  app.use(stats); // first, so it sees every request and every error

  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = 'ok';
  });
  router.get('/users/:id', (ctx) => {
    ctx.stats.incr('users.lookups'); // your own metrics, through the same client
    ctx.body = { id: ctx.params.id };
  });
  router.post('/orders', (ctx) => {
    ctx.status = 201;
    ctx.body = { ok: true };
  });
  router.get('/boom', () => {
    throw new Error('boom');
  });
  // Router prefixes are part of the key: api.v1.items._id
  const api = new Router({ prefix: '/api/v1' });
  api.get('/items/:id', (ctx) => {
    ctx.body = { item: ctx.params.id };
  });
  app.use(router.routes()).use(router.allowedMethods());
  app.use(api.routes()).use(api.allowedMethods());
  return { app, stats };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { app, stats } = buildApp();
  const port = Number(process.env.PORT ?? 3000);
  const server = app.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
  process.once('SIGINT', () => server.close(() => void stats.close()));
}
