// Overhead of @statskit/instrument's outbound-HTTP instrumentation: N sequential requests to a local
// HTTP server (a child process, keep-alive) with
//   fetch      Node's built-in fetch (its own bundled undici, global dispatcher) without vs with
//              instrumentFetch() installed (the undici:request:* diagnostics channels)
//   interceptor npm undici 7's fetch through a plain Agent vs the same Agent composed with the
//              deprecated statsInterceptor()
//   node:http  http.request on a keep-alive Agent, without vs with instrumentHttpClient() installed
//              (default, and with counterInterval: 1000: status counters summed in process)
// metrics going to a real StatsClient over loopback UDP to a discarding receiver (another child). Rounds
// run in rotating order; the median (and minimum) µs per request of each variant is reported.
//
//   node benchmarks/http-client/fetch.mjs [--n 3000] [--rounds 5]   (npm run bench:http-client -w @statskit/benchmarks)
//
// Needs a build of @statskit/instrument (npx turbo run build --filter=@statskit/instrument...) and
// undici 7 (a devDependency of @statskit/instrument, hoisted).
import { spawn } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { StatsClient } from '@statskit/client';
import { instrumentFetch, instrumentHttpClient, statsInterceptor } from '@statskit/instrument';

// Load Node's bundled undici before npm undici: whichever loads first fills the one global-dispatcher
// slot, and built-in fetch must run on its own Agent here.
await fetch('http://127.0.0.1:1/').catch(() => undefined);
const { Agent, fetch: undiciFetch } = await import('undici');

const { values } = parseArgs({
  options: { n: { type: 'string', default: '3000' }, rounds: { type: 'string', default: '5' } },
});
const N = Number(values.n);
const ROUNDS = Number(values.rounds);

function child(source) {
  const proc = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  // lines are queued: a child may print before anyone waits for it
  const queued = [];
  const waiting = [];
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const resolve = waiting.shift();
    if (resolve) resolve(line);
    else queued.push(line);
  });
  const nextLine = () =>
    queued.length > 0 ? Promise.resolve(queued.shift()) : new Promise((resolve) => waiting.push(resolve));
  return { proc, nextLine };
}

// The statsd receiver and the HTTP server run in child processes: their work is not charged to the loop.
const receiver = child(`const s = require('node:dgram').createSocket('udp4'); let n = 0;
  s.on('message', () => n++);
  s.bind(0, '127.0.0.1', () => console.log(s.address().port));
  process.on('message', () => { console.log(n); process.exit(0); });`);
const server = child(`const body = JSON.stringify({ ok: true, items: [1, 2, 3] });
  const srv = require('node:http').createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  srv.keepAliveTimeout = 60000;
  srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
  process.on('message', () => process.exit(0));`);
const receiverPort = Number(await receiver.nextLine());
const serverPort = Number(await server.nextLine());
const url = `http://127.0.0.1:${serverPort}/items`;

const stats = new StatsClient({ host: '127.0.0.1', port: receiverPort, prefix: 'bench' });
const plainDispatcher = new Agent({ connections: 1 });
const statsDispatcher = new Agent({ connections: 1 }).compose(statsInterceptor({ stats }));
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

async function fetchLoop(n) {
  for (let i = 0; i < n; i++) {
    const res = await fetch(url);
    await res.arrayBuffer();
  }
}

async function undiciLoop(dispatcher, n) {
  for (let i = 0; i < n; i++) {
    const res = await undiciFetch(url, { dispatcher });
    await res.arrayBuffer();
  }
}

function httpGet() {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: httpAgent }, (res) => {
      res.on('data', () => {});
      res.on('end', resolve);
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

async function httpLoop(n) {
  for (let i = 0; i < n; i++) await httpGet();
}

const variants = {
  'fetch, plain': () => fetchLoop(N),
  'fetch, instrumentFetch': async () => {
    const inst = instrumentFetch({ stats });
    try {
      await fetchLoop(N);
    } finally {
      inst.uninstall();
    }
  },
  'npm undici fetch, plain Agent': () => undiciLoop(plainDispatcher, N),
  'npm undici fetch, statsInterceptor': () => undiciLoop(statsDispatcher, N),
  'node:http, plain': () => httpLoop(N),
  'node:http, instrumentHttpClient': async () => {
    const inst = instrumentHttpClient({ stats });
    try {
      await httpLoop(N);
    } finally {
      inst.uninstall();
    }
  },
  'node:http, summed counters': async () => {
    const inst = instrumentHttpClient({ stats, counterInterval: 1000 });
    try {
      await httpLoop(N);
    } finally {
      inst.uninstall();
    }
  },
};
const names = Object.keys(variants);

// warm-up: connections, JIT
for (const name of names) await variants[name]();

const results = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < ROUNDS; r++) {
  const order = names.map((_, i) => names[(i + r) % names.length]);
  for (const name of order) {
    const t0 = performance.now();
    await variants[name]();
    results[name].push(((performance.now() - t0) * 1000) / N);
  }
  await stats.flush();
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => x.toFixed(1).padStart(7);
console.log(
  `Node ${process.version}, N=${N} sequential requests per round, ${ROUNDS} rounds (µs per request)`,
);
console.log(`${'variant'.padEnd(34)} ${'median'.padStart(7)} ${'min'.padStart(7)}   overhead (median)`);
for (const [plainName, instName, ...rest] of [
  ['fetch, plain', 'fetch, instrumentFetch'],
  ['npm undici fetch, plain Agent', 'npm undici fetch, statsInterceptor'],
  ['node:http, plain', 'node:http, instrumentHttpClient', 'node:http, summed counters'],
]) {
  const base = median(results[plainName]);
  for (const name of [plainName, instName, ...rest]) {
    const med = median(results[name]);
    const diff =
      name === plainName
        ? ''
        : `${(med - base).toFixed(1)} µs (${(((med - base) / base) * 100).toFixed(1)}%)`;
    console.log(`${name.padEnd(34)} ${fmt(med)} ${fmt(Math.min(...results[name]))}   ${diff}`);
  }
}

// The interceptor's own cost without I/O: a dispatch that answers at once (start, headers, one chunk,
// end), called directly and through statsInterceptor() (3 metrics per call to the same StatsClient).
const controller = { abort() {}, pause() {}, resume() {} };
const chunk = Buffer.from('{"ok":true}');
const handler = {
  onRequestStart() {},
  onResponseStart() {},
  onResponseData() {},
  onResponseEnd() {},
  onResponseError() {},
};
const answer = (_opts, h) => {
  h.onRequestStart(controller, {});
  h.onResponseStart(controller, 200, {}, 'OK');
  h.onResponseData(controller, chunk);
  h.onResponseEnd(controller, {});
  return true;
};
const wrapped = statsInterceptor({ stats })(answer);
const opts = { origin: `http://127.0.0.1:${serverPort}`, method: 'GET', path: '/items' };
const M = 200_000;
const micro = { direct: [], statsInterceptor: [] };
for (let r = 0; r < ROUNDS + 1; r++) {
  for (const [name, fn] of [
    ['direct', answer],
    ['statsInterceptor', wrapped],
  ]) {
    const t0 = performance.now();
    for (let i = 0; i < M; i++) fn(opts, handler);
    if (r > 0) micro[name].push(((performance.now() - t0) * 1e6) / M);
    await stats.flush();
  }
}
console.log(
  `no I/O, ${M} dispatches per round: direct ${median(micro.direct).toFixed(0)} ns, ` +
    `through statsInterceptor ${median(micro.statsInterceptor).toFixed(0)} ns per call (medians)`,
);

// instrumentFetch's own cost without I/O: the messages one undici request publishes (create, headers,
// trailers — built as undici builds them, only when a channel has subscribers), without and with
// instrumentFetch installed (3 metrics per call to the same StatsClient).
const channels = ['create', 'headers', 'trailers'].map((c) => dc.channel(`undici:request:${c}`));
const [createCh, headersCh, trailersCh] = channels;
const origin = `http://127.0.0.1:${serverPort}`;
const rawHeaders = [Buffer.from('content-type'), Buffer.from('application/json')];
const publishOne = () => {
  const request = { origin, method: 'GET', path: '/items', upgrade: null };
  if (createCh.hasSubscribers) createCh.publish({ request });
  if (headersCh.hasSubscribers) {
    headersCh.publish({ request, response: { statusCode: 200, headers: rawHeaders, statusText: 'OK' } });
  }
  if (trailersCh.hasSubscribers) trailersCh.publish({ request, trailers: [] });
};
const channelMicro = { off: [], instrumentFetch: [] };
for (let r = 0; r < ROUNDS + 1; r++) {
  for (const name of ['off', 'instrumentFetch']) {
    const inst = name === 'off' ? undefined : instrumentFetch({ stats });
    const t0 = performance.now();
    for (let i = 0; i < M; i++) publishOne();
    if (r > 0) channelMicro[name].push(((performance.now() - t0) * 1e6) / M);
    inst?.uninstall();
    await stats.flush();
  }
}
console.log(
  `no I/O, ${M} undici requests' channel messages per round: not installed ` +
    `${median(channelMicro.off).toFixed(0)} ns, with instrumentFetch ` +
    `${median(channelMicro.instrumentFetch).toFixed(0)} ns per call (medians)`,
);

await stats.close();
await plainDispatcher.close();
await statsDispatcher.close();
httpAgent.destroy();
receiver.proc.send('count');
const received = await receiver.nextLine();
console.log(`statsd packets received: ${received}`);
server.proc.send('stop');
