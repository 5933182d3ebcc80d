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
import { heldSlots, timeOnChannels } from './floors.mjs';
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
  } else if (variant.startsWith('floor-')) await floor(app, variant, statsdPort);
  else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  app.get('/hello/:name', (req, res) => {
    res.send(`Hello ${req.params.name}!`);
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/**
 * Floor variants (not in the default list; `node http/one-at-a-time.mjs http/express.mjs bare floor-… --pin`):
 * the least any request timer can cost, to tell the adapter's own work from the mechanisms it stands on.
 * - floor-finish: a middleware taking performance.now() and a res 'finish' listener adding the duration to
 *   a number (the classic design, and express-hot-shots', without any statsd call);
 * - floor-channel: node:http's request.start and response.finish channels instead (statskit's design),
 *   the start time on the socket, the duration added to a number;
 * - floor-send: floor-channel plus one timing and one counter per request through a statskit client with
 *   fixed names (no route template, no recorder): the client's share.
 * - floor-proto: the least design that sends what statskit's middleware sends by default (three timers:
 *   route, all requests, method; two status counters), on the channels, the template read from
 *   `req.route.path` at the end (no mount paths), its names made once per (template, method, status).
 * - floor-held: the same metrics and the same lines on the wire, but no client call per metric: a request
 *   adds its duration (in µs) to its route's slot and counts its status there; once a second the slots
 *   are written as statsd lines (precomputed name bytes, digits written by hand) into 1432-byte packets.
 *   A prototype of what a per-route recording slot in the client could cost.
 */
async function floor(app, variant, statsdPort) {
  if (variant === 'floor-finish') {
    let total = 0;
    process.on('beforeExit', () => {
      if (total < 0) console.log(total); // keeps the sum alive
    });
    app.use((_req, res, next) => {
      const t = performance.now();
      res.once('finish', () => {
        total += performance.now() - t;
      });
      next();
    });
  } else if (variant === 'floor-channel') timeOnChannels();
  else if (variant === 'floor-held') {
    const record = heldSlots(statsdPort);
    timeOnChannels((req, res, ms) => record(req.route?.path ?? 'unmatched', req.method, res.statusCode, ms));
  } else if (variant === 'floor-proto') {
    const { StatsClient } = await import('@statskit/client');
    const client = new StatsClient({ port: statsdPort, prefix: 'bench' });
    const names = new Map(); // `${template} ${method} ${status}` → the five names
    let lastKey = '';
    let last;
    timeOnChannels((req, res, ms) => {
      const template = req.route?.path ?? 'unmatched';
      const key = `${template} ${req.method} ${res.statusCode}`;
      if (key !== lastKey) {
        last = names.get(key);
        if (last === undefined) {
          const base = `http.view.${template.replace(/[^a-zA-Z0-9]+/g, '_')}.${req.method}`;
          last = {
            timer: base,
            method: `http.request.${req.method}`,
            route: `${base}.response.${res.statusCode}`,
            status: `http.response.${res.statusCode}`,
          };
          names.set(key, last);
        }
        lastKey = key;
      }
      const t = Math.round(ms * 1000) / 1000; // to the µs, as the recorder sends durations
      client.timing(last.timer, t);
      client.timing('http.request', t);
      client.timing(last.method, t);
      client.incr(last.route);
      client.incr(last.status);
    });
  } else if (variant === 'floor-send') {
    const { StatsClient } = await import('@statskit/client');
    const client = new StatsClient({ port: statsdPort, prefix: 'bench' });
    timeOnChannels((_req, _res, ms) => {
      client.timing('express.hello.GET', Math.round(ms * 1000) / 1000); // to the µs, as the recorder does
      client.incr('express.status.200');
    });
  } else throw new Error(`unknown variant ${variant}`);
}
