#!/usr/bin/env node
/**
 * What the statskit Fastify plugin costs a hello-world app, against the same app without it, against
 * an onRequest + onResponse hook pair that does nothing (noop: the cost of merely having hooks) and
 * against @immobiliarelabs/fastify-metrics 7 (sending to its own UDP sink: `client.host`, and the route
 * has `config.metrics.routeId`, without which it measures nothing), in one run.
 *
 *   npx turbo run build --filter=@statskit/fastify...   # the plugin is loaded from dist
 *   npm run bench:http:fastify --workspace benchmarks -- [--duration 10] [--warmup 3] [--rounds 3] [--connections 50]
 *
 * The runner (child servers, rounds, medians, the table) is lib.mjs, shared with express.mjs. The order
 * rotates between rounds so that over 4 rounds every server is measured in every position once: keep
 * --rounds a multiple of 4 (the variant count; the default is 4). Reports median req/s and server CPU
 * µs/req (steadier than req/s on a busy machine).
 * Exits 1 when statskit costs more than --budget percent (default 3) of bare req/s.
 */
import { createRequire } from 'node:module';
import { runHttpBench, serveChild } from './lib.mjs';

if (process.argv[2] === '--serve') await serveChild(serve);
else
  await runHttpBench({
    script: import.meta.url,
    title: 'Fastify',
    frameworkVersion: createRequire(import.meta.url)('fastify/package.json').version,
    variants: ['bare', 'noop', 'statskit', 'fastify-metrics'],
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
  } else if (variant === 'statskit') {
    const { StatsClient } = await import('@statskit/client');
    const { default: statskit } = await import('@statskit/fastify');
    await app.register(statskit, { client: new StatsClient({ port: statsdPort, prefix: 'bench' }) });
  } else if (variant === 'fastify-metrics') {
    const { default: metrics } = await import('@immobiliarelabs/fastify-metrics');
    await app.register(metrics, { client: { host: `udp://127.0.0.1:${statsdPort}`, namespace: 'bench' } });
  } else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  // config.metrics.routeId: fastify-metrics measures only routes that have one (the others ignore it).
  app.get('/hello/:name', { config: { metrics: { routeId: 'hello' } } }, (request, reply) => {
    reply.send(`Hello ${request.params.name}!`);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app.server;
}
