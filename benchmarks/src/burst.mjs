/**
 * A start-up burst: a fresh client sends N counters synchronously, then close(). Does everything
 * arrive? (A batch job or cron that sends, then exits.) UDP goes to the forked receiver (receiver.mjs,
 * 4 MiB receive buffer, its own process); TCP to a loopback server in a child process.
 *
 *   npm run build && node benchmarks/src/burst.mjs [udp|tcp|both] [N ...]
 *
 * Prints, per run: lines delivered / lines the client sent (telemetry), and telemetry's drops.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StatsClient } from '@statskit/client';

const here = fileURLToPath(new URL('.', import.meta.url));
const [mode = 'both', ...ns] = process.argv.slice(2);
const sizes = ns.length > 0 ? ns.map(Number) : [100_000, 1_000_000];

/** @param {string} file @param {string[]} args */
function child(file, args = []) {
  const proc = fork(file, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  /** @type {(type: string) => Promise<any>} */
  const next = (type) =>
    new Promise((resolve) => {
      const on = (/** @type {any} */ m) => {
        if (m.type !== type) return;
        proc.off('message', on);
        resolve(m);
      };
      proc.on('message', on);
    });
  return { proc, next };
}

/** A newline-delimited TCP statsd stand-in in a child process: counts lines. */
const TCP_SERVER = `
const net = require('node:net');
let lines = 0, lastAt = 0;
const srv = net.createServer((s) => {
  s.on('error', () => {});
  s.on('data', (d) => { lastAt = performance.now(); for (let i = 0; i < d.length; i++) if (d[i] === 10) lines++; });
});
srv.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: srv.address().port }));
process.on('message', (m) => {
  if (m.type === 'reset') { lines = 0; process.send({ type: 'reset' }); }
  if (m.type === 'totals') {
    const started = performance.now();
    const check = () => performance.now() - Math.max(lastAt, started) >= m.quietMs ? process.send({ type: 'totals', lines }) : setTimeout(check, 10);
    check();
  }
});
process.on('disconnect', () => process.exit(0));
`;

async function run(protocol, n) {
  const server =
    protocol === 'udp'
      ? child(`${here}receiver.mjs`)
      : child('-e', []); // replaced below
  if (protocol === 'tcp') {
    server.proc.kill();
    Object.assign(server, child(`${here}burst-tcp-server.cjs`));
  }
  const ready = await server.next('ready');
  const stats = new StatsClient({ host: '127.0.0.1', port: ready.port, protocol, onError: () => {} });
  for (let i = 0; i < n; i++) stats.incr('burst.metric');
  await stats.close();
  server.proc.send({ type: 'totals', quietMs: 300, maxWaitMs: 20_000 });
  const totals = await server.next('totals');
  server.proc.disconnect();
  const t = stats.telemetry();
  const dropped = Object.entries(t.droppedBy)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  console.log(
    `${protocol} ${n.toLocaleString('en')} incr() then close(): delivered ${totals.lines.toLocaleString('en')} / sent ${t.linesSent.toLocaleString('en')} (${((100 * totals.lines) / n).toFixed(1)} % of calls); dropped: ${dropped || 'none'}`,
  );
}

import { writeFileSync } from 'node:fs';
writeFileSync(`${here}burst-tcp-server.cjs`, TCP_SERVER);
for (const protocol of mode === 'both' ? ['udp', 'tcp'] : [mode]) for (const n of sizes) await run(protocol, n);
