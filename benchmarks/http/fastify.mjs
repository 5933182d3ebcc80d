#!/usr/bin/env node
/**
 * What the statskit Fastify plugin costs a hello-world app, against the same app without it, against
 * an onRequest + onResponse hook pair that does nothing (noop: the cost of merely having hooks) and
 * against @immobiliarelabs/fastify-metrics 7 (sending to its own UDP sink: `client.host`, and the route
 * has `config.metrics.routeId`, without which it measures nothing), in one run. fastify-metrics is
 * configured as it is run in production: its dats client buffered (`bufferSize: 1432`, packets of at
 * most 1432 bytes, flushed at the latest after dats' default `bufferFlushTimeout` of 100 ms).
 * `statskit-tags` is the plugin in tags mode (`mode: 'tags'`: route, method and status as tags on
 * stable names instead of in the names).
 *
 *   npx turbo run build --filter=@statskit/fastify...   # the plugin is loaded from dist
 *   npm run bench:http:fastify --workspace benchmarks -- [--duration 10] [--warmup 3] [--rounds 5] [--connections 50]
 *
 * The runner (child servers, rounds, medians, the table) is lib.mjs, shared with express.mjs. The order
 * rotates between rounds so that over 5 rounds every server is measured in every position once: keep
 * --rounds a multiple of 5 (the variant count; the default is 5). For one server alive at a time:
 * `node http/one-at-a-time.mjs http/fastify.mjs bare noop statskit statskit-tags fastify-metrics`. Reports median req/s and server CPU
 * µs/req (steadier than req/s on a busy machine).
 * Exits 1 when statskit costs more than --budget percent (default 3) of bare req/s.
 */
import { createRequire } from 'node:module';
import { heldSlots, timeOnChannels } from './floors.mjs';
import { runHttpBench, serveChild } from './lib.mjs';

if (process.argv[2] === '--serve') await serveChild(serve);
else
  await runHttpBench({
    script: import.meta.url,
    title: 'Fastify',
    frameworkVersion: createRequire(import.meta.url)('fastify/package.json').version,
    variants: ['bare', 'noop', 'statskit', 'statskit-tags', 'fastify-metrics'],
  });

/** Child: one hello-world app, instrumented per `variant`, listening on 127.0.0.1:0. */
async function serve(variant, statsdPort) {
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ logger: false });
  if (variant === 'noop') {
    app.addHook('onRequest', function noopOnRequest(_request, _reply, done) {
      done();
    });
    app.addHook('onResponse', function noopOnResponse(_request, _reply, done) {
      done();
    });
  } else if (variant === 'statskit' || variant === 'statskit-tags' || variant === 'statskit-dogstatsd') {
    const { StatsClient } = await import('@statskit/client');
    const { default: statskit } = await import('@statskit/fastify');
    const client = new StatsClient({
      port: statsdPort,
      prefix: 'bench',
      // statskit-dogstatsd (not in the default list): the server named, so the request timers of one
      // name share multi-value lines (fewer bytes and packets per request than the portable default)
      ...(variant === 'statskit-dogstatsd' ? { server: 'dogstatsd' } : {}),
    });
    await app.register(statskit, variant === 'statskit-tags' ? { client, mode: 'tags' } : { client });
  } else if (variant === 'fastify-metrics') {
    const { default: metrics } = await import('@immobiliarelabs/fastify-metrics');
    await app.register(metrics, {
      // dats' `bufferSize`: lines are joined into packets of at most this many bytes (0, its default,
      // sends a packet per metric).
      client: { host: `udp://127.0.0.1:${statsdPort}`, namespace: 'bench', bufferSize: 1432 },
    });
  } else if (variant === 'floor-channel' || variant === 'floor-held') floor(app, variant, statsdPort);
  else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  // config.metrics.routeId: fastify-metrics measures only routes that have one (the others ignore it).
  app.get('/hello/:name', { config: { metrics: { routeId: 'hello' } } }, (request, reply) => {
    reply.send(`Hello ${request.params.name}!`);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}

/**
 * Floor variants (not in the default list; `node http/instructions.mjs http/fastify.mjs bare floor-channel
 * floor-held statskit`), as in express.mjs: floor-channel times each request on node:http's start and
 * finish channels and sends nothing; floor-held adds the held-slot prototype (floors.mjs), the route's
 * template put on the raw request by a handler wrapped once at registration (`onRoute`).
 */
function floor(app, variant, statsdPort) {
  if (variant === 'floor-channel') {
    timeOnChannels();
    return;
  }
  const kTemplate = Symbol('template');
  const record = heldSlots(statsdPort);
  app.addHook('onRoute', (routeOptions) => {
    const url = routeOptions.url;
    const handler = routeOptions.handler;
    routeOptions.handler = function heldRoute(request, reply) {
      request.raw[kTemplate] = url;
      return handler.call(this, request, reply);
    };
  });
  timeOnChannels((request, response, ms) =>
    record(request[kTemplate] ?? 'unmatched', request.method, response.statusCode, ms),
  );
}
