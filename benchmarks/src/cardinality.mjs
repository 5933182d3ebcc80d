/**
 * Cost per call as the number of distinct metric names grows: `incr()` over 100, 10 k, 100 k and
 * 1 M names, statskit in its default mode (aggregation on), statskit raw (`aggregate: false`) and
 * hot-shots, each sending 1432-byte packets over loopback UDP to a receiver in another process.
 * Each client runs in a fresh child process, so the RSS quoted is that client's alone.
 *
 *   node src/cardinality.mjs [--n 500000] [--names 100,10000,100000,1000000] [--runs 1]
 *
 * n is raised to the name count when smaller, so every name is used at least once.
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAdapter } from './adapters/index.mjs';

const HOST = '127.0.0.1';
const CLIENTS = [
  ['statskit', 'default', { aggregated: true }],
  ['statskit', 'raw', { aggregated: false }],
  ['hot-shots', 'buffered', { aggregated: false }],
];

async function child() {
  const { name, port, n, names, aggregated } = JSON.parse(process.argv[3]);
  const adapter = await loadAdapter(name);
  const keys = Array.from({ length: names }, (_, i) => `card.name_${i}`);
  const client = adapter.create({ host: HOST, port, buffered: true, aggregated });
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 1000);
    for (; i < end; i++) client.incr(keys[i % names]);
    if ((i & 0x3fff) < 1000) peak = Math.max(peak, process.memoryUsage().rss);
    await new Promise(setImmediate);
  }
  const t1 = process.hrtime.bigint();
  peak = Math.max(peak, process.memoryUsage().rss);
  await client.close();
  process.send?.({ ns: Number(t1 - t0) / n, rss: peak - rss0 });
}

async function main() {
  const { values } = parseArgs({
    options: {
      n: { type: 'string', default: '500000' },
      names: { type: 'string', default: '100,10000,100000,1000000' },
      runs: { type: 'string', default: '1' },
    },
  });
  const sink = dgram.createSocket('udp4');
  sink.on('message', () => {}); // drained, not counted: run.mjs measures delivery
  await new Promise((resolve) => sink.bind(0, HOST, resolve));
  const port = sink.address().port;
  const self = fileURLToPath(import.meta.url);
  console.log('| names | client | mode | ns/call | × statskit default | peak ΔRSS |');
  console.log('|--:|---|---|--:|--:|--:|');
  for (const names of values.names.split(',').map(Number)) {
    const n = Math.max(Number(values.n), names);
    let base = 0;
    for (const [name, mode, { aggregated }] of CLIENTS) {
      let best;
      for (let r = 0; r < Number(values.runs); r++) {
        const res = await new Promise((resolve, reject) => {
          const c = fork(self, ['child', JSON.stringify({ name, port, n, names, aggregated })]);
          c.once('message', resolve);
          c.once('error', reject);
        });
        if (best === undefined || res.ns < best.ns) best = res;
      }
      if (mode === 'default') base = best.ns;
      console.log(
        `| ${names.toLocaleString('en')} | ${name} | ${mode} | ${best.ns.toFixed(0)} | ${(best.ns / base).toFixed(2)}× | ${(best.rss / 2 ** 20).toFixed(1)} MiB |`,
      );
    }
  }
  sink.close();
}

if (process.argv[2] === 'child') await child();
else await main();
