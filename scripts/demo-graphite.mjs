// `npm run demo -- --graphite`: the classic pipeline with real servers, and pictures.
//   an Express shop app (statsdMiddleware) → the etsy statsd daemon (npm `statsd`, Graphite backend)
//   → carbon-cache 127.0.0.1:2003 → graphite-web http://127.0.0.1:8080
// and, side by side, the same app reporting straight to carbon (StatsClient `carbon` option).
// ~30 s of varied load, a Graphite deploy event half-way (annotate()), then PNG graphs from graphite-web's
// render API into a folder it prints. `--duration <s>` changes the load time.
// Needs Debian's graphite-carbon, graphite-web and python3-whisper, configured and started by
// `bash .ci/services` (loopback only, 1-second retention for statskit_demo.*).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsClient } from '@statskit/client';
import { statsdMiddleware } from '@statskit/express';
import express from 'express';
import { freePort } from './lib/free-port.mjs';
import { spawnStatsd } from './lib/statsd-daemon.mjs';

const CARBON_PORT = 2003; // .ci/services' carbon-cache
const WEB = 'http://127.0.0.1:8080'; // .ci/services' graphite-web
const durArg = process.argv.indexOf('--duration');
const DURATION_S = durArg === -1 ? 30 : Number(process.argv[durArg + 1]);
if (!(DURATION_S >= 4 && DURATION_S <= 600)) {
  console.error('--duration must be a number of seconds in [4, 600]');
  process.exit(2);
}
const FLUSH_MS = 1000;
const run = `run_${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
const GP = `statskit_demo.${run}`; // statsd's globalPrefix
const DIRECT = `statskit_demo.direct_${run}`; // the direct reporter's prefix

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.setTimeout(1500, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function webUp() {
  try {
    const res = await fetch(`${WEB}/render?target=constantLine(1)&format=json`, {
      signal: AbortSignal.timeout(3000),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

const carbonOk = await accepts(CARBON_PORT);
const webOk = await webUp();
if (!carbonOk || !webOk) {
  const installed = existsSync('/usr/bin/carbon-cache') && existsSync('/usr/bin/graphite-manage');
  console.error(
    [
      `The Graphite demo needs carbon-cache on 127.0.0.1:${CARBON_PORT} ${carbonOk ? '(up)' : '(NOT reachable)'} and graphite-web on ${WEB} ${webOk ? '(up)' : '(NOT reachable)'}.`,
      installed
        ? 'They are installed but not running: start them with `bash .ci/services` (as root).'
        : "Install Debian's packages, then configure and start them on loopback:\n  apt-get install graphite-carbon graphite-web python3-whisper\n  bash .ci/services",
    ].join('\n'),
  );
  process.exit(1);
}

// 1. the etsy statsd daemon, flushing to the real carbon
const udpPort = await freePort('udp');
const config = join(tmpdir(), `statskit-demo-graphite-${process.pid}.js`);
writeFileSync(
  config,
  `(${JSON.stringify({
    mgmt_address: '127.0.0.1',
    mgmt_port: await freePort('tcp'),
    flushInterval: FLUSH_MS,
    percentThreshold: [95],
    backends: ['./backends/graphite'],
    graphiteHost: '127.0.0.1',
    graphitePort: CARBON_PORT,
    graphite: { legacyNamespace: false, globalPrefix: GP },
    deleteIdleStats: true,
    servers: [{ server: './servers/udp', address: '127.0.0.1', port: udpPort }],
  })})`,
);
// the etsy daemon under this Node (scripts/lib/statsd-daemon.mjs supplies util.log on Node 23+)
const daemon = spawnStatsd(config);
let daemonOut = '';
daemon.stdout.setEncoding('utf8').on('data', (d) => {
  daemonOut += d;
});
daemon.stderr.setEncoding('utf8').on('data', (d) => {
  daemonOut += d;
});
process.on('exit', () => daemon.kill());
for (let i = 0; !daemonOut.includes('server is up'); i++) {
  if (i > 400) {
    console.error(`the statsd daemon did not start:\n${daemonOut}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 25));
}

// 2. the shop app: both backends, one API
const errors = [];
const onError = (err) => errors.push(err);
const viaStatsd = new StatsClient({ port: udpPort, prefix: 'shop', tagFormat: 'none', onError });
const direct = new StatsClient({
  carbon: { port: CARBON_PORT, interval: 1000 },
  prefix: DIRECT,
  // graphite-web's dev server and SQLite are slow while carbon registers many new series: be patient
  graphiteWeb: { url: WEB, timeout: 20_000 },
  onError,
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let deployed = false;
/** The shop app, measured by statsdMiddleware with `client`. (One middleware per app: two would share a request's state.) */
function shopApp(client) {
  const app = express();
  const mw = statsdMiddleware({ client });
  app.use(mw);
  app.get('/users/:id', async (req, res) => {
    await sleep(3 + Math.random() * 10);
    res.json({ id: req.params.id });
  });
  app.get('/search', async (_req, res) => {
    // v2 (after the deploy) made search slower: the p95 graph shows the step at the marker
    await sleep(deployed ? 60 + Math.random() * 140 : 20 + Math.random() * 60);
    res.json([]);
  });
  app.post('/orders', async (_req, res) => {
    await sleep(15 + Math.random() * 30);
    res.status(201).json({ ok: true });
  });
  app.get('/checkout', async (_req, res) => {
    await sleep(10 + Math.random() * 20);
    // v2 also broke checkout now and then: 5xx after the deploy
    res.status(deployed && Math.random() < 0.3 ? 500 : 200).json({});
  });
  const server = app.listen(0, '127.0.0.1');
  return new Promise((resolve) =>
    server.once('listening', () =>
      resolve({
        base: `http://127.0.0.1:${server.address().port}`,
        async close() {
          await new Promise((r) => server.close(r));
          await mw.close();
        },
      }),
    ),
  );
}
// the same app twice: one reporting through statsd, one straight to carbon; every request goes to both
const appStatsd = await shopApp(viaStatsd);
const appDirect = await shopApp(direct);
const base = appStatsd.base;
console.log(
  `shop app on ${base}; statsd daemon on udp 127.0.0.1:${udpPort} → carbon 127.0.0.1:${CARBON_PORT}`,
);
console.log(`graphite prefixes: ${GP} (via statsd), ${DIRECT} (direct reporter)`);
console.log(`driving load for ${DURATION_S} s, deploy event half-way ...`);

// 3. load: a mix that changes over time, at most 8 requests in flight, bounded by the duration
const start = Date.now();
const end = start + DURATION_S * 1000;
const mix = [
  ['GET', () => `/users/${Math.floor(Math.random() * 100)}`, 5],
  ['GET', () => '/search', 3],
  ['POST', () => '/orders', 1],
  ['GET', () => '/checkout', 1],
  ['GET', () => '/no/such/page', 0.3],
];
const weightSum = mix.reduce((a, m) => a + m[2], 0);
let sent = 0;
async function worker() {
  while (Date.now() < end) {
    const t = (Date.now() - start) / 1000;
    if (!deployed && t >= DURATION_S / 2) {
      deployed = true;
      const ok = await direct.annotate('deploy shop v2', {
        tags: ['deploy', 'shop', run],
        data: `shop v2 (${run})`,
      });
      console.log(`  t=${t.toFixed(1)} s: deploy event posted to graphite-web (${ok ? 'stored' : 'FAILED'})`);
    }
    let r = Math.random() * weightSum;
    let pick = mix[0];
    for (const m of mix) {
      r -= m[2];
      if (r < 0) {
        pick = m;
        break;
      }
    }
    const [method, path] = pick;
    const p = path();
    await Promise.all(
      [appStatsd.base, appDirect.base].map(async (b) => {
        try {
          await (await fetch(`${b}${p}`, { method })).arrayBuffer();
          sent++;
        } catch {}
      }),
    );
    // the rate swells and ebbs over the run
    await sleep(20 + 40 * (1 + Math.sin((t / DURATION_S) * 2 * Math.PI * 1.5)));
  }
}
await Promise.all(Array.from({ length: 8 }, worker));
await appStatsd.close();
await appDirect.close();
await viaStatsd.close();
await direct.close();
console.log(
  `${sent} requests sent (${sent / 2} to each app); waiting for the last flushes to reach carbon ...`,
);
await sleep(3 * FLUSH_MS);

// 4. graphs from graphite-web's render API
const from = Math.floor(start / 1000) - 2;
const until = Math.floor(Date.now() / 1000);
const outDir = join(tmpdir(), `statskit-graphite-demo-${run}`);
mkdirSync(outDir, { recursive: true });
// per-route timers are view.<route>.<METHOD>; a route key may hold dots (users._id): one or two segments
const METHODS = '{GET,POST,PUT,PATCH,DELETE}';
const route = (root, stat) =>
  `aliasSub(group(${root}.http.view.*.${METHODS}.${stat},${root}.http.view.*.*.${METHODS}.${stat}), '^.*\\.view\\.(.+)\\.[A-Z]+\\.[^.]+$', '\\1')`;
const deploy = `alias(color(drawAsInfinite(events('${run}')),'red'),'deploy v2')`;
const graphs = [
  [
    'request-rate-per-route',
    'Requests per second, per route (statsd count_ps)',
    [route(`${GP}.timers.shop`, 'count_ps'), deploy],
  ],
  [
    'p95-latency-per-route',
    'p95 latency per route, ms (statsd upper_95)',
    [route(`${GP}.timers.shop`, 'upper_95'), deploy],
  ],
  [
    'status-classes',
    'Responses per second by status class',
    [`aliasByNode(${GP}.counters.shop.http.response.?xx.rate, 6)`, deploy],
  ],
  [
    'p95-direct-reporter',
    'p95 latency per route, ms (direct carbon reporter)',
    [route(DIRECT, 'p95'), deploy],
  ],
  [
    'deploy-marker',
    'Deploy events (graphite-web /events/)',
    [deploy, `alias(${GP}.timers.shop.http.request.count_ps, 'requests/s')`],
  ],
];
const files = [];
for (const [file, title, targets] of graphs) {
  const q = new URLSearchParams({
    from: String(from),
    until: String(until),
    width: '900',
    height: '380',
    title,
    bgcolor: 'white',
    fgcolor: 'black',
    majorGridLineColor: '999999',
    minorGridLineColor: 'e0e0e0',
    lineWidth: '2',
    lineMode: 'connected', // statsd's flush timestamps are rounded to the second: bridge a skipped second
    format: 'png',
  });
  for (const t of targets) q.append('target', t);
  const res = await fetch(`${WEB}/render?${q}`, { signal: AbortSignal.timeout(30_000) });
  const png = Buffer.from(await res.arrayBuffer());
  if (!res.ok || png.subarray(1, 4).toString() !== 'PNG') {
    console.error(`render ${file} failed: HTTP ${res.status} ${png.toString('utf8', 0, 300)}`);
    continue;
  }
  const path = join(outDir, `${file}.png`);
  writeFileSync(path, png);
  files.push(path);
}
const events = await (await fetch(`${WEB}/events/get_data?tags=${run}&from=${from}`)).json();
console.log(`\n${files.length} graphs in ${outDir}:`);
for (const f of files) console.log(`  ${f}`);
console.log(`deploy events stored for this run: ${events.length}`);
console.log(
  `client errors: ${errors.length}${errors.length ? ` (${errors.map((e) => e.code).join(', ')})` : ''}`,
);
console.log(`graphite-web: ${WEB}/render?target=${GP}.timers.shop.http.request.upper_95&from=-5min`);
daemon.kill();
process.exit(files.length === graphs.length ? 0 : 1);
