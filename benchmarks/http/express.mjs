#!/usr/bin/env node
/**
 * What statskit's Express middleware costs a hello-world app, against no middleware and against
 * express-hot-shots, in one run.
 *
 *   npx turbo run build --filter=@statskit/express...   # the middleware is loaded from dist
 *   npm run bench:http --workspace benchmarks -- [--duration 10] [--warmup 3] [--rounds 3] [--connections 50]
 *
 * Each server runs in its own child process; all three stay up for the whole run. Each round loads every
 * server in turn (the order rotates between rounds): a warmup that is thrown away, then a measured
 * autocannon run. The figure per server is the median req/s over the rounds. Metrics go to UDP sinks in
 * this process (one per instrumented server), which count what arrives so the work is seen to be done.
 * Each server's CPU time per request is reported too: on a busy machine it is steadier than req/s.
 * Exits 1 when statskit costs more than --budget percent (default 3) of bare req/s.
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const VARIANTS = ['bare', 'statskit', 'express-hot-shots'];

if (process.argv[2] === '--serve') await serve(process.argv[3], Number(process.argv[4]));
else await main();

/** Child: one hello-world app, optionally instrumented, on 127.0.0.1:0. Reports its port over IPC. */
async function serve(variant, statsdPort) {
  const require = createRequire(import.meta.url);
  const express = require('express');
  const app = express();
  if (variant === 'statskit') {
    const { StatsClient } = await import('@statskit/client');
    const { statsdMiddleware } = await import('@statskit/express');
    app.use(statsdMiddleware({ client: new StatsClient({ port: statsdPort, prefix: 'bench' }) }));
  } else if (variant === 'express-hot-shots') {
    const StatsD = require('hot-shots');
    const expressHotShots = require('express-hot-shots');
    app.use(expressHotShots({ client: new StatsD({ port: statsdPort, prefix: 'bench.' }) }));
  } else if (variant !== 'bare') throw new Error(`unknown variant ${variant}`);
  app.get('/hello/:name', (req, res) => {
    res.send(`Hello ${req.params.name}!`);
  });
  const server = app.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (msg) => {
    if (msg === 'cpu') process.send({ cpu: process.cpuUsage() });
  });
  process.on('disconnect', () => process.exit(0));
}

function sink() {
  const socket = dgram.createSocket('udp4');
  const counts = { packets: 0, lines: 0 };
  socket.on('message', (msg) => {
    counts.packets++;
    for (const b of msg) if (b === 10) counts.lines++;
    counts.lines++;
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => resolve({ socket, counts, port: socket.address().port })),
  );
}

function start(variant, statsdPort) {
  const child = fork(new URL(import.meta.url), ['--serve', variant, String(statsdPort)], {
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) =>
      resolve({ variant, child, url: `http://127.0.0.1:${port}/hello/world` }),
    );
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

/** The child's CPU time so far, in µs (user + system). */
function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', ({ cpu }) => resolve(cpu.user + cpu.system));
    child.send('cpu');
  });
}

async function cannon(autocannon, url, duration, connections) {
  const result = await autocannon({ url, duration, connections, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, total: result.requests.total };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      budget: { type: 'string', default: '3' },
    },
  });
  const duration = Number(values.duration);
  const warmup = Number(values.warmup);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const { default: autocannon } = await import('autocannon');

  const sinks = { statskit: await sink(), 'express-hot-shots': await sink() };
  const servers = [];
  for (const v of VARIANTS) servers.push(await start(v, sinks[v]?.port ?? 9));
  const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  const cpu = Object.fromEntries(VARIANTS.map((v) => [v, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      const order = servers.slice(r % servers.length).concat(servers.slice(0, r % servers.length));
      for (const s of order) {
        await cannon(autocannon, s.url, warmup, connections);
        const cpu0 = await cpuOf(s.child);
        const { rps, total } = await cannon(autocannon, s.url, duration, connections);
        const perRequest = ((await cpuOf(s.child)) - cpu0) / total;
        results[s.variant].push(rps);
        cpu[s.variant].push(perRequest);
        console.error(
          `round ${r + 1}: ${s.variant.padEnd(18)} ${rps.toFixed(0)} req/s, server CPU ${perRequest.toFixed(1)} µs/req`,
        );
      }
    }
  } finally {
    for (const s of servers) s.child.kill();
    for (const k of Object.keys(sinks)) sinks[k].socket.close();
  }

  const bare = median(results.bare);
  console.log(
    `\nExpress ${createRequire(import.meta.url)('express/package.json').version}, node ${process.version}, ` +
      `${connections} connections, ${warmup}s warmup + ${duration}s x ${rounds} rounds, median req/s`,
  );
  const bareCpu = median(cpu.bare);
  console.log(
    '| server | req/s (median) | rounds | vs bare | server CPU µs/req (median) | vs bare | metric lines received |',
  );
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
  for (const v of VARIANTS) {
    const m = median(results[v]);
    const c = median(cpu[v]);
    const delta = v === 'bare' ? '—' : `${(((m - bare) / bare) * 100).toFixed(1)} %`;
    const cpuDelta = v === 'bare' ? '—' : `+${(((c - bareCpu) / bareCpu) * 100).toFixed(1)} %`;
    const lines = sinks[v] === undefined ? '—' : String(sinks[v].counts.lines);
    const rounds = results[v].map((x) => x.toFixed(0)).join(', ');
    console.log(
      `| ${v} | ${m.toFixed(0)} | ${rounds} | ${delta} | ${c.toFixed(1)} | ${cpuDelta} | ${lines} |`,
    );
  }
  const cost = ((bare - median(results.statskit)) / bare) * 100;
  const budget = Number(values.budget);
  console.log(`\nstatskit costs ${cost.toFixed(1)} % of bare req/s (budget ${budget} %)`);
  if (cost > budget) process.exitCode = 1;
}
