/**
 * A start-up burst: a fresh client sends N counters synchronously, then close() — a batch job or cron
 * that sends, then exits. Does everything arrive? UDP goes to receiver.mjs (4 MiB receive buffer, its
 * own process), TCP to burst-tcp-server.mjs (its own process).
 *
 *   npm run build && node benchmarks/src/burst.mjs [udp|tcp|both] [N ...]
 *
 * Prints per run: lines the server received / lines telemetry counts as sent, and telemetry's drops.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { StatsClient } from '@statskit/client';

const here = fileURLToPath(new URL('.', import.meta.url));
const [mode = 'both', ...ns] = process.argv.slice(2);
const sizes = ns.length > 0 ? ns.map(Number) : [100_000, 1_000_000];
const fmt = (/** @type {number} */ n) => n.toLocaleString('en');

/** @param {string} protocol @param {number} n */
async function run(protocol, n) {
  const server = fork(`${here}${protocol === 'udp' ? 'receiver.mjs' : 'burst-tcp-server.mjs'}`);
  /** @type {(type: string) => Promise<any>} */
  const next = (type) =>
    new Promise((resolve) => {
      const on = (/** @type {any} */ m) => {
        if (m.type !== type) return;
        server.off('message', on);
        resolve(m);
      };
      server.on('message', on);
    });
  const { port } = await next('ready');
  const stats = new StatsClient({ host: '127.0.0.1', port, protocol, onError: () => {} });
  for (let i = 0; i < n; i++) stats.incr('burst.metric');
  await stats.close();
  server.send({ type: 'totals', quietMs: 300, maxWaitMs: 20_000 });
  const { lines } = await next('totals');
  server.disconnect();
  const t = stats.telemetry();
  const dropped = Object.entries(t.droppedBy)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${fmt(v)}`)
    .join(', ');
  console.log(
    `${protocol} ${fmt(n)} incr() then close(): received ${fmt(lines)} / sent ${fmt(t.linesSent)} (${(
      (100 * lines) / n
    ).toFixed(1)} % of calls); dropped: ${dropped || 'none'}`,
  );
}

for (const protocol of mode === 'both' ? ['udp', 'tcp'] : [mode]) {
  for (const n of sizes) await run(protocol, n);
}
