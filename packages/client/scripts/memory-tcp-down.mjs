#!/usr/bin/env node
// Memory while the statsd server is down: a TCP client pointed at a port nothing listens on takes a
// sustained burst of metrics. Packets wait in the transport's queue up to maxQueueBytes; the rest are
// dropped and counted. Prints heap and RSS before and after, the queue size and the drops.
//
//   npm run build --workspace @statskit/client
//   node --expose-gc packages/client/scripts/memory-tcp-down.mjs [metrics=1000000] [maxQueueBytes=1048576]
import net from 'node:net';
import { StatsClient } from '../dist/index.js';

const count = Number(process.argv[2] ?? 1_000_000);
const maxQueueBytes = Number(process.argv[3] ?? 1 << 20);
const gc = globalThis.gc ?? (() => {});
if (globalThis.gc === undefined) console.warn('(run with --expose-gc for stable heap figures)');

// A port nothing listens on: bind port 0, read it, close.
const probe = net.createServer();
await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
const port = probe.address().port;
await new Promise((resolve) => probe.close(resolve));

const errors = new Map();
const stats = new StatsClient({
  protocol: 'tcp',
  host: '127.0.0.1',
  port,
  maxQueueBytes,
  onError: (err) => errors.set(err.code, (errors.get(err.code) ?? 0) + 1),
});

const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
gc();
const before = process.memoryUsage();
let peakHeap = before.heapUsed;
let peakRss = before.rss;
const started = performance.now();
for (let i = 0; i < count; i++) {
  stats.timing('api.request.duration', i % 500, { tags: { route: '/users/:id', status: 200 } });
  if (i % 10_000 === 9_999) {
    // let the event loop run: reconnect attempts fail (ECONNREFUSED) and back off meanwhile
    await new Promise((resolve) => setImmediate(resolve));
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }
}
const ms = performance.now() - started;
const t = stats.telemetry();
gc();
const after = process.memoryUsage();

console.log(
  `${count.toLocaleString('en')} metrics to TCP 127.0.0.1:${port} (down), maxQueueBytes ${maxQueueBytes}`,
);
console.log(
  `  time          ${ms.toFixed(0)} ms (${Math.round(count / (ms / 1000)).toLocaleString('en')} metrics/s)`,
);
console.log(
  `  heapUsed      ${mib(before.heapUsed)} before, ${mib(after.heapUsed)} after GC (+${mib(after.heapUsed - before.heapUsed)}), peak ${mib(peakHeap)}`,
);
console.log(`  rss           ${mib(before.rss)} before, ${mib(after.rss)} after, peak ${mib(peakRss)}`);
console.log(
  `  queueBytes    ${t.queueBytes} (${((100 * t.queueBytes) / maxQueueBytes).toFixed(1)} % of the limit)`,
);
console.log(
  `  lines         ${t.metrics} accepted, ${t.linesSent} sent, ${t.linesDropped} dropped (queueFull ${t.droppedBy.queueFull})`,
);
console.log(`  onError       ${JSON.stringify(Object.fromEntries(errors))}`);

await stats.close();
const end = stats.telemetry();
console.log(
  `  after close() queueBytes ${end.queueBytes}, dropped ${end.linesDropped} (closed ${end.droppedBy.closed})`,
);
