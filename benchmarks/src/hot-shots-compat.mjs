// hot-shots vs @statskit/client/hot-shots: the cost of the same tagged increment() in a loop, then close().
// Run: npm run build && node benchmarks/src/hot-shots-compat.mjs. The receiver shares the process, so the
// lines it counts are bounded by its buffer, not by the clients: read "received" as a floor.
import dgram from 'node:dgram';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const HotShots = require('hot-shots');
const Compat = require('@statskit/client/hot-shots');

const rx = dgram.createSocket('udp4');
let got = 0;
rx.on('message', (m) => {
  got++;
  for (const b of m) if (b === 10) got++;
});
await new Promise((resolve) => rx.bind(0, '127.0.0.1', resolve));
rx.setRecvBufferSize(4 * 1024 * 1024);
const port = rx.address().port;
const N = 200_000;

async function run(name, StatsD, opts) {
  got = 0;
  const c = new StatsD({
    host: '127.0.0.1',
    port,
    includeDataDogTags: false,
    errorHandler: () => {},
    ...opts,
  });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) c.increment('requests.count', 1, ['route:/users/:id', 'method:GET']);
  const t1 = performance.now();
  await new Promise((resolve) => c.close(resolve));
  const t2 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const rate = (N / ((t1 - t0) / 1000) / 1000).toFixed(0);
  console.log(
    `${name}: ${rate}k calls/s, ${(t2 - t0).toFixed(0)} ms to close(), ${got} of ${N} lines received`,
  );
}

for (let round = 0; round < 2; round++) {
  await run('hot-shots (unbuffered)', HotShots, { datadog: false });
  await run('hot-shots (maxBufferSize 1432)', HotShots, { datadog: false, maxBufferSize: 1432 });
  await run('@statskit/client/hot-shots (unbuffered)', Compat, {});
  await run('@statskit/client/hot-shots (maxBufferSize 1432)', Compat, { maxBufferSize: 1432 });
}
rx.close();
