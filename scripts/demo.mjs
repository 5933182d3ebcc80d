#!/usr/bin/env node
// The statskit demo: starts the real etsy statsd daemon (npm `statsd`) on loopback with its console and
// Graphite backends, sends a short burst of every metric type with @statskit/client, and prints what the
// daemon flushed: its own console dump, then the Graphite lines it wrote, as a table.
//   npm run demo                 (UDP)
//   npm run demo -- --tcp        (the daemon's TCP server)
//   npm run demo -- --framework express|fastify|koa
//                                (the framework's example app in this process, a handful of requests with
//                                 fetch, then the http.* values the daemon flushed)
//   npm run demo -- --graphite   (the whole pipeline with real carbon + graphite-web, a deploy event,
//                                 PNG graphs: see scripts/demo-graphite.mjs)
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsClient } from '@statskit/client';
import { freePort } from './lib/free-port.mjs';
import { spawnStatsd, writeStatsdConfig } from './lib/statsd-daemon.mjs';

if (process.argv.includes('--graphite')) {
  await import('./demo-graphite.mjs'); // exits when done
}

const protocol = process.argv.includes('--tcp') ? 'tcp' : 'udp';
const frameworkArg = process.argv.indexOf('--framework');
const framework = frameworkArg === -1 ? undefined : process.argv[frameworkArg + 1];
if (framework !== undefined && !['express', 'fastify', 'koa'].includes(framework)) {
  console.error(`--framework must be express, fastify or koa, got ${framework}`);
  process.exit(2);
}
const FLUSH_MS = 1000;

// A Graphite plaintext listener: the daemon's graphite backend connects here on every flush.
const graphite = [];
const listener = net.createServer((sock) => {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i !== -1) {
      const [path, value] = buf.slice(0, i).split(' ');
      graphite.push({ path, value: Number(value) });
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  });
});
await new Promise((resolve) => listener.listen(0, '127.0.0.1', resolve));

const udpPort = await freePort('udp');
const tcpPort = await freePort('tcp');
const config = join(tmpdir(), `statskit-demo-${process.pid}.js`);
writeStatsdConfig(config, {
  mgmt_address: '127.0.0.1',
  mgmt_port: await freePort('tcp'),
  flushInterval: FLUSH_MS,
  backends: ['./backends/console', './backends/graphite'],
  graphiteHost: '127.0.0.1',
  graphitePort: listener.address().port,
  graphite: { legacyNamespace: false },
  deleteIdleStats: true,
  servers: [
    { server: './servers/udp', address: '127.0.0.1', port: udpPort },
    { server: './servers/tcp', address: '127.0.0.1', port: tcpPort },
  ],
});

// the etsy daemon under this Node (scripts/lib/statsd-daemon.mjs supplies util.log on Node 23+)
const daemon = spawnStatsd(config);
let out = '';
daemon.stdout.setEncoding('utf8').on('data', (d) => {
  out += d;
});
daemon.stderr.pipe(process.stderr);
const stop = () => daemon.kill();
process.on('exit', stop);
await waitFor(() => out.includes('server is up'), 10_000, 'the statsd daemon to start');
console.log(
  `statsd daemon up: udp 127.0.0.1:${udpPort}, tcp 127.0.0.1:${tcpPort}; sending over ${protocol}\n`,
);

const errors = [];
const stats = new StatsClient({
  protocol,
  host: '127.0.0.1',
  port: protocol === 'udp' ? udpPort : tcpPort,
  prefix: 'demo',
  server: 'etsy', // the wire the etsy daemon understands: histograms as timers, Graphite-style tags
  onError: (err) => errors.push(err),
});

// Wait for a flush boundary so the whole burst lands in one flush.
const flushesBefore = out.split('Flushing stats').length;
await waitFor(() => out.split('Flushing stats').length > flushesBefore, FLUSH_MS * 3, 'a flush');
out = '';

if (framework !== undefined) {
  await frameworkDemo(framework);
  listener.close();
  stop();
  process.exit(0);
}

// One short burst of every metric type.
for (let i = 0; i < 100; i++) stats.incr('requests');
stats.decr('requests', 10);
for (let i = 0; i < 1000; i++) stats.incr('sampled', 1, { rate: 0.1 });
for (const ms of [12, 15, 20, 25, 31, 42, 50, 80, 120, 300]) stats.timing('db.query', ms);
stats.time('render', () => {
  let x = 0;
  for (let i = 0; i < 1e5; i++) x += i;
  return x;
});
stats.gauge('queue.depth', 42);
stats.gaugeDelta('workers', 5);
stats.gaugeDelta('workers', -2);
stats.gauge('temperature', -7);
for (const user of ['ann', 'bob', 'ann', 'cyd', 'bob']) stats.set('users', user);
stats.histogram('payload.bytes', 512);
stats.incr('tagged', 1, { tags: { route: '/users/:id', method: 'GET' } });
await stats.close();
const sent = stats.telemetry();

await waitFor(
  () => graphite.some((g) => g.path.includes('demo.requests')),
  FLUSH_MS * 4,
  'the daemon to flush',
);
await new Promise((resolve) => setTimeout(resolve, 200));

const dump = out.slice(out.indexOf('Flushing stats'));
console.log('--- what the daemon flushed (its console backend) ---');
console.log(dump.split('\nFlushing stats')[0].trim());

console.log('\n--- what the daemon wrote to Graphite (demo.* only) ---');
const rows = graphite
  .filter((g) => g.path.includes('.demo.'))
  .filter((g) => !/\.(sum_squares|std|count_ps|mean_90|sum_90|sum_squares_90|rate)$/.test(g.path));
const width = Math.max(...rows.map((r) => r.path.length));
for (const r of rows) console.log(`${r.path.padEnd(width)}  ${r.value}`);
console.log(
  `\nclient: ${sent.linesSent} lines in ${sent.packetsSent} packets (${sent.bytesSent} bytes), ` +
    `${sent.sampledOut} sampled out, ${errors.length} errors`,
);
console.log(
  "note: etsy statsd has no histogram/distribution types (it counts `|h`/`|d` lines as counters): with `server: 'etsy'` the client sends them as timers.",
);

listener.close();
stop();

/** Serve the framework's example app in this process, drive it with fetch, print the flushed http.* values. */
async function frameworkDemo(name) {
  const client = new StatsClient({
    server: 'etsy',
    protocol,
    host: '127.0.0.1',
    port: protocol === 'udp' ? udpPort : tcpPort,
    prefix: 'demo',
    onError: (err) => errors.push(err),
  });
  const served = await serveExample(name, client);
  console.log(`${name} example app on ${served.url}\n`);
  const requests = [
    ['GET', '/users/1'],
    ['GET', '/users/2'],
    ['GET', '/users/3'],
    ['POST', '/orders'],
    ['GET', '/api/v1/items/7'],
    ['GET', '/boom'],
    ['GET', '/no/such/page'],
    ['GET', '/healthz'],
  ];
  for (const [method, path] of requests) {
    const res = await fetch(`${served.url}${path}`, { method });
    await res.arrayBuffer();
    console.log(`${method.padEnd(4)} ${path.padEnd(16)} ${res.status}`);
  }
  await served.close(); // sends the summed counters and flushes the client
  await client.close();
  await waitFor(
    () => graphite.some((g) => g.path.includes('.demo.http.request')),
    FLUSH_MS * 4,
    'the daemon to flush',
  );
  await new Promise((resolve) => setTimeout(resolve, 200));
  console.log('\n--- what the daemon wrote to Graphite (demo.http.* only) ---');
  const rows = graphite
    .filter((g) => g.path.includes('.demo.http.'))
    .filter((g) => /\.(count|mean|upper|lower)$/.test(g.path) || g.path.startsWith('stats.counters.'))
    .filter((g) => !g.path.endsWith('.rate'));
  const width = Math.max(...rows.map((r) => r.path.length));
  for (const r of rows) console.log(`${r.path.padEnd(width)}  ${r.value}`);
  console.log(`\nclient: ${errors.length} errors`);
}

/** The example app of `name` on 127.0.0.1:0, sending through `client`. */
async function serveExample(name, client) {
  const example = new URL(`../examples/${name}/src/server.mjs`, import.meta.url);
  if (name === 'fastify') {
    const { buildApp } = await import(example.href);
    const app = await buildApp({ client });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
  }
  let app;
  let middleware;
  if (name === 'koa') {
    const built = (await import(example.href)).buildApp({ client });
    app = built.app;
    middleware = built.stats;
  } else {
    // examples/express/src/server.mjs when it exists (same shape as the koa one); else a minimal app.
    let built;
    try {
      built = (await import(example.href)).buildApp?.({ client });
    } catch {}
    if (built?.app !== undefined) {
      app = built.app;
      middleware = built.stats;
    } else {
      const { default: express } = await import('express');
      const { statsdMiddleware } = await import('@statskit/express');
      app = express();
      middleware = statsdMiddleware({ client, exclude: ['/healthz'] });
      app.use(middleware);
      app.get('/healthz', (_req, res) => res.send('ok'));
      app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
      app.post('/orders', (_req, res) => res.status(201).json({ ok: true }));
      app.get('/boom', () => {
        throw new Error('boom');
      });
      const api = express.Router();
      api.get('/items/:id', (req, res) => res.json({ item: req.params.id }));
      app.use('/api/v1', api);
      app.set('env', 'test');
    }
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await middleware?.close?.();
    },
  };
}

async function waitFor(predicate, timeoutMs, what) {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) {
      console.error(`timed out waiting for ${what}\n${out}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
