#!/usr/bin/env node
/**
 * What statskit's Koa middleware costs a hello-world app (Koa 3 + @koa/router), against the same app
 * without it, against a middleware that does nothing (noop: `await next()`, the cost of merely having
 * one), in tags mode (`statskit-tags`: route, method and status as tags on stable names) and against
 * the incumbents, in one run:
 *
 * - `koa-statsd` 0.0.2, the Koa statsd middleware on npm: a Koa 1 generator middleware (run through
 *   koa-convert, as Koa 2 did by itself and Koa 3 users must) on its statsy client, which has no
 *   buffering: five UDP packets per request (two counters, a histogram, a set, a timer on `finish`).
 * - `hot-shots`: the same five metrics from a plain async middleware on a hot-shots 17 client
 *   configured buffered as for production (`maxBufferSize: 1432`): what a Koa user without a ready
 *   middleware writes, and the incumbent's cost when buffered.
 *
 *   npx turbo run build --filter=@statskit/koa...   # the middleware is loaded from dist
 *   npm run bench:http:koa --workspace benchmarks -- [--duration 10] [--warmup 3] [--rounds 6] [--connections 50]
 *   node http/one-at-a-time.mjs http/koa.mjs bare noop statskit statskit-tags koa-statsd hot-shots
 *
 * The runner (child servers, rounds, medians, the table) is lib.mjs, shared with express.mjs and
 * fastify.mjs: keep --rounds a multiple of 6 (the variant count; the default is 6).
 * Exits 1 when statskit costs more than --budget percent (default 3) of bare req/s.
 */
import { createRequire } from 'node:module';
import { runHttpBench, serveChild } from './lib.mjs';

const require = createRequire(import.meta.url);

if (process.argv[2] === '--serve') await serveChild(serve);
else
  await runHttpBench({
    script: import.meta.url,
    title: 'Koa',
    frameworkVersion: require('koa/package.json').version,
    variants: ['bare', 'noop', 'statskit', 'statskit-tags', 'koa-statsd', 'hot-shots'],
  });

/** Child: one hello-world app, instrumented per `variant`, listening on 127.0.0.1:0. */
async function serve(variant, statsdPort) {
  const { default: Koa } = await import('koa');
  const { default: Router } = await import('@koa/router');
  const app = new Koa();
  if (variant === 'noop') {
    app.use(async function noop(_ctx, next) {
      await next();
    });
  } else if (variant === 'statskit' || variant === 'statskit-tags' || variant === 'statskit-dogstatsd') {
    const { StatsClient } = await import('@statskit/client');
    const { statsdMiddleware } = await import('@statskit/koa');
    const client = new StatsClient({
      port: statsdPort,
      prefix: 'bench',
      // statskit-dogstatsd (not in the default list): the server named, so the request timers of one
      // name share multi-value lines (fewer bytes and packets per request than the portable default)
      ...(variant === 'statskit-dogstatsd' ? { server: 'dogstatsd' } : {}),
    });
    app.use(statsdMiddleware(variant === 'statskit-tags' ? { client, mode: 'tags' } : { client }));
  } else if (variant === 'koa-statsd') {
    const convert = require('koa-convert');
    const koaStatsd = require('koa-statsd');
    app.use(convert(koaStatsd({ host: '127.0.0.1', port: statsdPort, prefix: 'bench' })));
  } else if (variant === 'hot-shots') {
    const StatsD = require('hot-shots');
    const stats = new StatsD({ host: '127.0.0.1', port: statsdPort, prefix: 'bench.', maxBufferSize: 1432 });
    app.use(async function hotShotsMetrics(ctx, next) {
      const start = performance.now();
      stats.increment('request.count');
      stats.increment(`request.${ctx.method}.count`);
      stats.histogram('request.size', ctx.request.length ?? 0);
      stats.set('request.addresses', ctx.ip);
      try {
        await next();
      } finally {
        stats.timing('request.duration', performance.now() - start);
      }
    });
  } else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  const router = new Router();
  router.get('/hello/:name', (ctx) => {
    ctx.body = `Hello ${ctx.params.name}!`;
  });
  app.use(router.routes());
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return server;
}
