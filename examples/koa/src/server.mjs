// A small Koa app with @koa/router, measured by @statskit/koa.
//   npm start --workspace @statskit/example-koa      (statsd at STATSD_HOST:STATSD_PORT, default 127.0.0.1:8125)
import { pathToFileURL } from 'node:url';
import Router from '@koa/router';
import { closeOnSignal, statsdMiddleware } from '@statskit/koa';
import Koa from 'koa';

/**
 * Build the app. `client` is a StatsClient or client options (default: the etsy statsd daemon at STATSD_HOST/STATSD_PORT).
 * Returns the app and the middleware (call `stats.close()` on shutdown to send pending counters).
 */
export function buildApp({ client = { prefix: 'example', server: 'etsy' } } = {}) {
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
  // Answers the headers at once and the rest `ms` later (at most 5 s): a request still in flight.
  router.get('/slow', async (ctx) => {
    ctx.respond = false; // this route writes the response itself
    ctx.res.writeHead(200, { 'content-type': 'text/plain' });
    ctx.res.write('working...');
    await new Promise((resolve) => setTimeout(resolve, Math.min(Number(ctx.query.ms) || 100, 5000)));
    ctx.res.end(' done');
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
  const server = app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    console.log(`listening on http://127.0.0.1:${server.address().port}`);
  });
  // SIGTERM/SIGINT: stop accepting, let in-flight requests finish (10 s at most), send the pending
  // metrics and close the client, then exit as the signal would.
  closeOnSignal(server, stats);
}
