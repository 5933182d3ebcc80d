#!/usr/bin/env node
// The statskit demo: starts the real etsy statsd daemon (npm `statsd`) on loopback with its console and
// Graphite backends, sends a short burst of every metric type with @statskit/client, and prints what the
// daemon flushed: its own console dump, then the Graphite lines it wrote, as a table.
//   npm run demo                 (UDP)
//   npm run demo -- --tcp        (the daemon's TCP server)
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StatsClient } from '@statskit/client';

const protocol = process.argv.includes('--tcp') ? 'tcp' : 'udp';
const FLUSH_MS = 1000;
const statsdMain = fileURLToPath(new URL('../node_modules/statsd/stats.js', import.meta.url));

async function freePort(type) {
  if (type === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise((resolve) => s.bind(0, '127.0.0.1', resolve));
    const { port } = s.address();
    s.close();
    return port;
  }
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

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
writeFileSync(
  config,
  `(${JSON.stringify({
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
  })})`,
);

const daemon = spawn(process.execPath, [statsdMain, config], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  onError: (err) => errors.push(err),
});

// Wait for a flush boundary so the whole burst lands in one flush.
const flushesBefore = out.split('Flushing stats').length;
await waitFor(() => out.split('Flushing stats').length > flushesBefore, FLUSH_MS * 3, 'a flush');
out = '';

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
  'note: etsy statsd has no histogram/distribution types; it counts `|h` and `|d` lines as counters.',
);

listener.close();
stop();

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
