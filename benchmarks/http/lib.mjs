/**
 * The autocannon runner shared by http/express.mjs and http/fastify.mjs. A script only names its
 * variants and says how to build one server; everything else is here, so the two frameworks are measured
 * the same way:
 *
 *   if (process.argv[2] === '--serve') await serveChild(serve);   // child: one server
 *   else await runHttpBench({ script: import.meta.url, title: 'Express', frameworkVersion, variants });
 *
 * The parent forks the script once per variant (`--serve <variant> <statsdPort>`); all servers stay up
 * for the whole run. Each round loads every server in turn: a warmup that is thrown away, then a measured
 * autocannon run, with the server's CPU time (process.cpuUsage, over IPC) taken around it. The figures
 * per server are the medians over the rounds of req/s and of server CPU µs per request; on a busy machine
 * the CPU figure is steadier than req/s. Each variant sends its metrics to its own UDP sink in the parent,
 * which counts the lines that arrive so the work is seen to be done.
 *
 * Variants the runner knows by name: 'bare' (the baseline), 'statskit' (the one with a budget) and,
 * when present, 'noop' (a middleware/hook that does nothing: what merely having one costs, so the
 * statskit delta can be read against it). Every other variant is an incumbent: the table gives the
 * packets and lines its sink received (a variant that should send and received nothing fails the run:
 * it was not measured doing its work), and the closing lines compare statskit's added CPU per request
 * with each incumbent's and with noop's.
 */
import { fork } from 'node:child_process';
import dgram from 'node:dgram';
import { parseArgs } from 'node:util';

/**
 * Child side, for `<script> --serve <variant> <statsdPort>`. `serve(variant, statsdPort)` builds the app
 * and resolves to its http.Server listening on 127.0.0.1:0. The port goes to the parent over IPC; a 'cpu'
 * message is answered with process.cpuUsage() so the parent can time a measured run in server CPU; the
 * child exits when the parent goes away (disconnect), so no server outlives a crashed run.
 */
export async function serveChild(serve) {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg) => {
    if (msg === 'cpu') process.send({ cpu: process.cpuUsage() });
  });
  const server = await serve(process.argv[3], Number(process.argv[4]));
  process.send({ port: server.address().port });
}

/**
 * Parent side: forks the servers, runs the rounds, prints the table (stdout; progress goes to stderr) and
 * sets exit code 1 when statskit's req/s cost exceeds --budget percent of bare.
 *
 * `variants` are names; the order is the fork order and the order of round 1. The default number of
 * rounds is the number of variants, so that every variant is measured in every position once (see
 * orderOf).
 *
 * @param {object} o
 * @param {string | URL} o.script the calling script (import.meta.url): forked with --serve per variant
 * @param {string} o.title framework name for the header line, e.g. 'Express'
 * @param {string} o.frameworkVersion
 * @param {string[]} o.variants must include 'bare' and 'statskit'; 'noop' adds the "vs noop" column
 * @param {string[]} [o.argv] the CLI flags, default process.argv.slice(2)
 */
export async function runHttpBench({
  script,
  title,
  frameworkVersion,
  variants,
  argv = process.argv.slice(2),
}) {
  for (const v of ['bare', 'statskit'])
    if (!variants.includes(v)) throw new Error(`variants must include '${v}'`);
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      rounds: { type: 'string', default: String(variants.length) },
      connections: { type: 'string', default: '50' },
      budget: { type: 'string', default: '3' },
    },
  });
  const duration = number(values, 'duration', 0.1);
  const warmup = number(values, 'warmup', 0);
  const rounds = number(values, 'rounds', 1);
  const connections = number(values, 'connections', 1);
  const budget = number(values, 'budget', 0);
  if (!Number.isInteger(rounds)) throw new Error(`--rounds must be a whole number, got ${rounds}`);
  if (rounds % variants.length !== 0)
    console.error(
      `warning: --rounds ${rounds} is not a multiple of ${variants.length} (the variant count): ` +
        'some variants are measured first more often than others, which biases their CPU figure',
    );
  const { default: autocannon } = await import('autocannon');

  const sinks = {};
  const servers = [];
  const rps = Object.fromEntries(variants.map((v) => [v, []]));
  const cpu = Object.fromEntries(variants.map((v) => [v, []]));
  /** [position in the round, variant, µs/req] of every measured run, for the position-bias line */
  const byPosition = [];
  const width = Math.max(...variants.map((v) => v.length));
  try {
    for (const v of variants) sinks[v] = await sink();
    for (const v of variants) servers.push(await start(script, v, sinks[v].port));
    for (let r = 0; r < rounds; r++) {
      const order = orderOf(r, servers.length).map((i) => servers[i]);
      for (const [position, s] of order.entries()) {
        if (warmup > 0) await cannon(autocannon, s.url, warmup, connections);
        const cpu0 = await cpuOf(s.child);
        const { average, total } = await cannon(autocannon, s.url, duration, connections);
        const perRequest = ((await cpuOf(s.child)) - cpu0) / total;
        rps[s.variant].push(average);
        cpu[s.variant].push(perRequest);
        byPosition.push([position, s.variant, perRequest]);
        console.error(
          `round ${r + 1}: ${s.variant.padEnd(width)} ${average.toFixed(0)} req/s, server CPU ${perRequest.toFixed(1)} µs/req`,
        );
      }
    }
  } finally {
    for (const s of servers) s.child.kill();
    for (const s of Object.values(sinks)) s.socket.close();
  }

  const medianRps = Object.fromEntries(variants.map((v) => [v, median(rps[v])]));
  const medianCpu = Object.fromEntries(variants.map((v) => [v, median(cpu[v])]));
  const hasNoop = variants.includes('noop');
  // The check on position bias: how far each position in a round reads from the variant's median CPU,
  // averaged over the variants and shown against the average position (slow rounds lift every position
  // alike). A balanced rotation gives every variant the same share of it; this line shows its size.
  const offsets = variants.map((_, p) => {
    const ds = byPosition.filter(([q]) => q === p).map(([, v, c]) => c - medianCpu[v]);
    return ds.reduce((a, b) => a + b, 0) / ds.length;
  });
  const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
  console.error(
    'server CPU by position in the round, µs/req against the average position: ' +
      offsets.map((d, p) => `#${p + 1} ${signed(d - mean, '')}`).join(', '),
  );

  console.log(
    `\n${title} ${frameworkVersion}, node ${process.version}, ${connections} connections, ` +
      `${warmup}s warmup + ${duration}s x ${rounds} rounds (rotating order), medians`,
  );
  console.log(
    '| server | req/s (median) | rounds | vs bare | server CPU µs/req (median) | vs bare |' +
      (hasNoop ? ' vs noop |' : '') +
      ' packets / metric lines received |',
  );
  console.log(`| --- | ---: | --- | ---: | ---: | ---: |${hasNoop ? ' ---: |' : ''} ---: |`);
  for (const v of variants) {
    const cells = [
      v,
      medianRps[v].toFixed(0),
      rps[v].map((x) => x.toFixed(0)).join(', '),
      v === 'bare' ? '—' : percent(medianRps[v], medianRps.bare),
      medianCpu[v].toFixed(1),
      v === 'bare' ? '—' : percent(medianCpu[v], medianCpu.bare),
    ];
    if (hasNoop) cells.push(v === 'bare' || v === 'noop' ? '—' : percent(medianCpu[v], medianCpu.noop));
    cells.push(`${sinks[v].counts.packets} / ${sinks[v].counts.lines}`);
    console.log(`| ${cells.join(' | ')} |`);
  }
  // What statskit adds to bare's CPU per request, against bare, noop and each incumbent.
  const added = (v) => medianCpu[v] - medianCpu.bare;
  const lines = [
    `statskit adds ${added('statskit').toFixed(1)} µs/req = ${((added('statskit') / medianCpu.bare) * 100).toFixed(1)} % of bare's CPU`,
  ];
  if (hasNoop)
    lines.push(
      `${(added('statskit') / added('noop')).toFixed(2)}x what noop adds (${added('noop').toFixed(1)} µs)`,
    );
  for (const v of variants.filter((x) => !['bare', 'noop', 'statskit'].includes(x)))
    lines.push(`${(added('statskit') / added(v)).toFixed(2)}x what ${v} adds (${added(v).toFixed(1)} µs)`);
  console.log(`\n${lines.join('; ')}`);
  for (const v of variants.filter((x) => x !== 'bare' && x !== 'noop'))
    if (sinks[v].counts.packets === 0) {
      console.error(`${v} sent no metric packets: it was not measured doing its work`);
      process.exitCode = 1;
    }
  const cost = ((medianRps.bare - medianRps.statskit) / medianRps.bare) * 100;
  console.log(`\nstatskit costs ${cost.toFixed(1)} % of bare req/s (budget ${budget} %)`);
  if (cost > budget) process.exitCode = 1;
}

/**
 * The order of round `round` as indices into the variants: a cyclic rotation, round r starting at
 * variant r. Over any n consecutive rounds (n variants) every variant takes every position exactly once
 * — which matters: with several servers alive, the one measured first in a round has been seen to read
 * ~5 µs/req more CPU. So rounds should be a multiple of the variant count. (Fork order, by contrast, is
 * fixed: the variants' order.)
 */
function orderOf(round, n) {
  return Array.from({ length: n }, (_, p) => (round + p) % n);
}

/** A numeric flag, checked: a typo should not become NaN in the table. */
function number(values, name, min) {
  const x = Number(values[name]);
  if (!Number.isFinite(x) || x < min)
    throw new Error(`--${name} must be a number >= ${min}, got ${values[name]}`);
  return x;
}

/** A UDP sink on 127.0.0.1 that counts packets and metric lines (a packet holds newline-joined lines). */
function sink() {
  const socket = dgram.createSocket('udp4');
  const counts = { packets: 0, lines: 0 };
  socket.on('message', (msg) => {
    counts.packets++;
    for (const b of msg) if (b === 10) counts.lines++;
    counts.lines++;
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => resolve({ socket, counts, port: socket.address().port })),
  );
}

/** Forks `script --serve variant statsdPort` and resolves once the child reports its port. */
function start(script, variant, statsdPort) {
  const child = fork(new URL(script), ['--serve', variant, String(statsdPort)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', ({ port }) =>
      resolve({ variant, child, url: `http://127.0.0.1:${port}/hello/world` }),
    );
    child.once('exit', (code) => reject(new Error(`${variant} server exited with ${code}`)));
  });
}

/** The child's CPU time so far, in µs (user + system). */
function cpuOf(child) {
  return new Promise((resolve) => {
    child.once('message', ({ cpu }) => resolve(cpu.user + cpu.system));
    child.send('cpu');
  });
}

async function cannon(autocannon, url, duration, connections) {
  const result = await autocannon({ url, duration, connections, pipelining: 1 });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { average: result.requests.average, total: result.requests.total };
}

/** The median; of an even count (4 rounds for Express), the mean of the middle two. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `x` against `base`, as a signed percentage. */
function percent(x, base) {
  return signed(((x - base) / base) * 100, ' %');
}

function signed(x, unit) {
  return `${x >= 0 ? '+' : ''}${x.toFixed(1)}${unit}`;
}
