#!/usr/bin/env node
/**
 * What statskit's Express middleware costs a hello-world app, against no middleware, against a middleware
 * that does nothing (noop: the cost of merely having one) and against express-hot-shots, in one run.
 *
 *   npx turbo run build --filter=@statskit/express...   # the middleware is loaded from dist
 *   npm run bench:http --workspace benchmarks -- [--duration 10] [--warmup 3] [--rounds 4] [--connections 50]
 *
 * The runner (child servers, rounds, medians, the table) is lib.mjs, shared with fastify.mjs. The order
 * rotates between rounds so that over 5 rounds every server is measured in every position once: keep
 * --rounds a multiple of 5 (the variant count; the default is 5). Reports median req/s and server CPU
 * µs/req (steadier than req/s on a busy machine).
 * Exits 1 when statskit costs more than --budget percent (default 3) of bare req/s.
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { runHttpBench, serveChild } from './lib.mjs';

const require = createRequire(import.meta.url);

if (process.argv[2] === '--serve') await serveChild(serve);
else
  await runHttpBench({
    script: import.meta.url,
    title: 'Express',
    frameworkVersion: require('express/package.json').version,
    variants: ['bare', 'noop', 'statskit', 'statskit-tags', 'express-hot-shots'],
  });

/** Child: one hello-world app, instrumented per `variant`, listening on 127.0.0.1:0. */
async function serve(variant, statsdPort) {
  const express = require('express');
  const app = express();
  if (variant === 'noop') {
    app.use(function noop(_req, _res, next) {
      next();
    });
  } else if (variant === 'statskit' || variant === 'statskit-tags' || variant === 'statskit-dogstatsd') {
    const { StatsClient } = await import('@statskit/client');
    const { statsdMiddleware } = await import('@statskit/express');
    const client = new StatsClient({
      port: statsdPort,
      prefix: 'bench',
      // statskit-dogstatsd (not in the default list): the server named, so the request timers of one
      // name share multi-value lines (fewer bytes and packets per request than the portable default)
      ...(variant === 'statskit-dogstatsd' ? { server: 'dogstatsd' } : {}),
    });
    // statskit-tags: route, method and status as tags on stable names (docs/metrics.md, "Tags mode").
    app.use(statsdMiddleware({ client, ...(variant === 'statskit-tags' ? { mode: 'tags' } : {}) }));
  } else if (variant === 'express-hot-shots') {
    const StatsD = require('hot-shots');
    const expressHotShots = require('express-hot-shots');
    // As it is run in production: buffered into 1432-byte packets (statskit's maxPacketSize, a UDP
    // payload that fits an Ethernet MTU), flushed at hot-shots' default bufferFlushInterval (1000 ms).
    const client = new StatsD({
      port: statsdPort,
      prefix: 'bench.',
      maxBufferSize: 1432,
      bufferFlushInterval: 1000,
    });
    app.use(expressHotShots({ client }));
  } else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  app.get('/hello/:name', (req, res) => {
    res.send(`Hello ${req.params.name}!`);
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
