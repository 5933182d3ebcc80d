// Overhead of @statskit/instrument's node-postgres instrumentation: the same `select 1` loop on a plain
// pg.Pool and on an instrumented one (real StatsClient over loopback UDP to a discarding receiver), on
// the same PostgreSQL server, rounds in rotating order; medians (and minimums: on a busy machine the
// round-trip noise is far larger than the wrapper) reported.
//
//   node benchmarks/db/pg.mjs [--n 5000] [--rounds 5]      (npm run bench:db -w @statskit/benchmarks)
//
// Needs PostgreSQL on 127.0.0.1:5432 with user/password/db `statskit` (bash .ci/services), and a build of
// @statskit/instrument (npx turbo run build --filter=@statskit/instrument...).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { StatsClient } from '@statskit/client';
import { instrumentPg, RequestContext, runWithRequest } from '@statskit/instrument';
import pg from 'pg';

const { values } = parseArgs({
  options: { n: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '5' } },
});
const N = Number(values.n);
const ROUNDS = Number(values.rounds);
const config = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: 5432,
  user: 'statskit',
  password: 'statskit',
  database: 'statskit',
  max: 1, // one connection: the loop is serial, so every query is a round trip on the same socket
};

// The statsd receiver runs in a child process, so its work is not charged to the instrumented loop.
const receiver = spawn(
  process.execPath,
  [
    '-e',
    `const s = require('node:dgram').createSocket('udp4'); let n = 0;
     s.on('message', () => n++);
     s.bind(0, '127.0.0.1', () => console.log(s.address().port));
     process.on('message', () => { console.log(n); process.exit(0); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] },
);
const lines = createInterface({ input: receiver.stdout });
const nextLine = () => new Promise((resolve) => lines.once('line', resolve));
const receiverPort = Number(await nextLine());
const stats = new StatsClient({ host: '127.0.0.1', port: receiverPort, prefix: 'bench' });

const plain = new pg.Pool(config);
const instrumented = instrumentPg(new pg.Pool(config), { stats, name: 'main' });

async function loop(pool, n) {
  for (let i = 0; i < n; i++) await pool.query('select 1');
}

/** ms for n queries. */
async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const variants = {
  'plain pg': () => loop(plain, N),
  instrumented: () => loop(instrumented, N),
  // Node 20's AsyncLocalStorage costs something per promise once a store is active: pay it on both sides.
  'plain pg, in a request': () => runWithRequest(new RequestContext(), () => loop(plain, N)),
  'instrumented, in a request': () => runWithRequest(new RequestContext(), () => loop(instrumented, N)),
};

// warm-up: connections, JIT
for (let i = 0; i < 2; i++) for (const pool of [plain, instrumented]) await loop(pool, 1000);

// Rounds rotate the order of the variants, so none always runs first (or right after another).
const names = Object.keys(variants);
const results = Object.fromEntries(names.map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(r + j) % names.length];
    results[name].push(await time(variants[name]));
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const base = median(results['plain pg']);
console.log(`node ${process.version}, N=${N} queries x ${ROUNDS} rounds, median round`);
console.log(
  'variant'.padEnd(30),
  'ms/round'.padStart(10),
  'µs/query'.padStart(10),
  'vs plain'.padStart(10),
  'min ms'.padStart(8),
  '  rounds (ms)',
);
for (const [name, xs] of Object.entries(results)) {
  const m = median(xs);
  const delta = ((m - base) / base) * 100;
  console.log(
    name.padEnd(30),
    m.toFixed(1).padStart(10),
    ((m / N) * 1000).toFixed(2).padStart(10),
    `${delta >= 0 ? '+' : ''}${delta.toFixed(1)}%`.padStart(10),
    Math.min(...xs)
      .toFixed(0)
      .padStart(8),
    `  ${xs.map((x) => x.toFixed(0)).join(' ')}`,
  );
}

// The wrapper's own cost, without the network noise: a stand-in client whose query() resolves at once.
const M = N * 40;
const result = { rows: [{ '?column?': 1 }], rowCount: 1 };
const fake = () => ({ query: (_text) => Promise.resolve(result) });
const bare = fake();
const wrapped = instrumentPg(fake(), { stats, name: 'fake' });
const cpu = { bare: [], wrapped: [] };
for (let r = 0; r < ROUNDS + 1; r++) {
  cpu.bare.push(await time(() => loop(bare, M)));
  cpu.wrapped.push(await time(() => loop(wrapped, M)));
}
const b = median(cpu.bare.slice(1));
const w = median(cpu.wrapped.slice(1));
console.log(
  `wrapper cost without I/O (stand-in client, ${M} queries, median of ${ROUNDS}): ` +
    `${((b / M) * 1e6).toFixed(0)} ns → ${((w / M) * 1e6).toFixed(0)} ns per query ` +
    `(+${(((w - b) / M) * 1e6).toFixed(0)} ns: keyword, timer, statsd line)`,
);

await stats.close();
await new Promise((resolve) => setTimeout(resolve, 100));
const received = nextLine();
receiver.send('done');
console.log(`(statsd packets received by the child process: ${await received})`);
await Promise.all([plain.end(), instrumented.end()]);
