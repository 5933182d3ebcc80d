#!/usr/bin/env node
/**
 * What the event-loop-delay monitor of collectRuntimeMetrics costs per request, on the Express
 * hello-world app: `bare` against `statskit` = the same app with collectRuntimeMetrics({ interval: 1000 })
 * running (no middleware: only the runtime collector, its delay histogram, ELU and GC observer).
 *
 *   npx turbo run build --filter=@statskit/runtime...
 *   npm run bench:runtime:http --workspace benchmarks -- [--duration 10] [--warmup 3] [--rounds 4] [--connections 50]
 *
 * The runner is ../http/lib.mjs (child servers, rotating rounds, medians of req/s and server CPU µs/req).
 */
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { runHttpBench, serveChild } from '../http/lib.mjs';

const require = createRequire(import.meta.url);

if (process.argv[2] === '--serve') await serveChild(serve);
else
  await runHttpBench({
    script: import.meta.url,
    title: "Express hello-world, 'statskit' = bare + collectRuntimeMetrics (1 s):",
    frameworkVersion: require('express/package.json').version,
    variants: ['bare', 'statskit'],
  });

async function serve(variant, statsdPort) {
  const express = require('express');
  const app = express();
  if (variant === 'statskit') {
    const { StatsClient } = await import('@statskit/client');
    const { collectRuntimeMetrics } = await import('@statskit/runtime');
    collectRuntimeMetrics(new StatsClient({ port: statsdPort, prefix: 'bench' }), { interval: 1000 });
  } else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  app.get('/hello/:name', (req, res) => {
    res.send(`Hello ${req.params.name}!`);
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
