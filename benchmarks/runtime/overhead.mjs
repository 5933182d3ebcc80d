#!/usr/bin/env node
/**
 * What the @statskit/runtime collectors cost an idle process, in CPU time, as a percent of one core.
 *
 *   npx turbo run build --filter=@statskit/runtime...   # the collectors are loaded from dist
 *   npm run bench:runtime --workspace benchmarks -- [--duration 30] [--rounds 3]
 *
 * Each round forks one child per variant, all at once: `idle` (a client, no collectors: the baseline),
 * and runtime + host collectors at a 10 s and at a 1 s interval, sending to a UDP sink here. A child
 * takes process.cpuUsage() once its collectors are started, idles for --duration seconds (a ref'd timer
 * keeps it up), takes it again and reports. The cost of a variant is its CPU time minus idle's, over the
 * wall time, per round; the table gives the medians and every round. CPU time, not wall time, so the
 * other processes on the machine do not enter the figure (only their cache effects do).
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

const VARIANTS = [
  { name: 'idle', interval: 0 },
  { name: 'runtime + host, 10 s', interval: 10_000 },
  { name: 'runtime + host, 1 s', interval: 1_000 },
];

if (process.argv[2] === '--child')
  await child(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
else await main();

async function child(interval, port, seconds) {
  const { StatsClient } = await import('@statskit/client');
  const { collectHostMetrics, collectRuntimeMetrics } = await import('@statskit/runtime');
  const stats = new StatsClient({ port, prefix: 'bench' });
  if (interval > 0) {
    collectRuntimeMetrics(stats, { interval });
    collectHostMetrics(stats, { interval });
  }
  const keep = setInterval(() => {}, 1 << 30);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const c = process.cpuUsage(c0);
  const wall = performance.now() - t0;
  clearInterval(keep);
  await stats.close();
  process.send({ cpuUs: c.user + c.system, wallMs: wall });
}

async function main() {
  const { values } = parseArgs({
    options: { duration: { type: 'string', default: '30' }, rounds: { type: 'string', default: '3' } },
  });
  const seconds = Number(values.duration);
  const rounds = Number(values.rounds);
  const socket = dgram.createSocket('udp4');
  let lines = 0;
  socket.on('message', (m) => {
    for (const b of m) if (b === 10) lines++;
    lines++;
  });
  await new Promise((r) => socket.bind(0, '127.0.0.1', r));
  const { port } = socket.address();
  const cost = Object.fromEntries(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    const results = await Promise.all(
      VARIANTS.map(
        (v) =>
          new Promise((resolve, reject) => {
            const c = fork(new URL(import.meta.url), [
              '--child',
              String(v.interval),
              String(port),
              String(seconds),
            ]);
            c.once('message', resolve);
            c.once('exit', (code) => code !== 0 && reject(new Error(`${v.name} exited with ${code}`)));
          }),
      ),
    );
    const idle = results[0];
    for (const [i, v] of VARIANTS.entries()) {
      const res = results[i];
      const pct = ((res.cpuUs - (i === 0 ? 0 : idle.cpuUs)) / 1000 / res.wallMs) * 100;
      cost[v.name].push(pct);
      console.error(
        `round ${r + 1}: ${v.name.padEnd(22)} ${(res.cpuUs / 1000).toFixed(1)} ms CPU in ${(res.wallMs / 1000).toFixed(1)} s → ${pct.toFixed(3)} %`,
      );
    }
  }
  socket.close();
  console.log(
    `\nnode ${process.version}, ${seconds} s x ${rounds} rounds, variants run side by side, medians`,
  );
  console.log('| variant | % of one core (median; idle: absolute, others: minus idle) | rounds |');
  console.log('| --- | ---: | --- |');
  for (const v of VARIANTS) {
    const xs = cost[v.name];
    console.log(`| ${v.name} | ${median(xs).toFixed(3)} % | ${xs.map((x) => x.toFixed(3)).join(', ')} |`);
  }
  console.log(`\nmetric lines received: ${lines}`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
