/**
 * The autocannon runner shared by the per-framework scripts (http/express.mjs, http/fastify.mjs, ...).
 * A script only names its variants and says how to build one server; everything else is here, so every
 * framework is measured the same way:
 *
 *   if (process.argv[2] === '--serve') await serveChild(serve);   // child: one server
 *   else await runHttpBench({ script: import.meta.url, title: 'Express', frameworkVersion, variants });
 *
 * One server alive at a time (the default): per round, in rotating order, each variant is forked
 * (`<script> --serve <variant> <statsdPort>`), warmed up (`--warmup`, thrown away), measured
 * (`--duration` of autocannon at `--connections`, with the child's process.cpuUsage() read over IPC
 * around it), drained (see below) and killed before the next one starts. Each figure is the median over
 * the rounds, with its min–max; "added vs bare" is the median of the per-round differences (the variant
 * and bare measured in the same round), with their min–max as the uncertainty.
 *
 * `--all-alive` keeps the old method: every server forked once and alive for the whole run, each round
 * loading them in turn. The server measured first in a round reads more CPU there (the fork-position
 * bias); `--compare-modes` runs both methods in one invocation, alternating rounds, and prints the
 * per-position offsets of each, so the bias is measured against the same variants in the same hour (the
 * all-alive servers stay up, idle, during the one-at-a-time halves too).
 *
 * Verification: each variant has its own UDP sink, which counts packets and metric lines. Around the
 * measured run the child is asked to flush (the 'flush' message: statskit's clients write what they hold
 * in process — aggregated counters, packed timers, a partly filled packet — through the same path as at
 * `beforeExit`), and the parent waits at least `DRAIN_MS` and until the sink is quiet (hot-shots sends a
 * partly filled buffer after its 1 s `bufferFlushInterval`, dats after its 100 ms `bufferFlushTimeout`):
 * after the warmup, so warmup lines are not counted; after the measured run, so everything the run
 * produced is counted before the child is killed. A variant other than bare and noop that sent nothing
 * during its measured runs fails the run (exit code 1); the table gives lines and packets per request.
 *
 * Variants the runner knows by name: 'bare' (the baseline), 'noop' (a middleware/hook that does nothing:
 * the cost of merely having one), 'statskit' (the one with a budget) and 'statskit-tags' (the adapter in
 * tags mode: compared with 'statskit'). Every other variant is an incumbent; statskit's added cost is
 * given as a fraction of each incumbent's.
 */
import { fork, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** After a measured run, how long the sink is given at least before the child is killed (ms). */
const DRAIN_MS = 1100;
/** The sink counts as quiet after this long without a packet (ms). */
const QUIET_MS = 150;
const NOT_SENDING = new Set(['bare', 'noop']);

/**
 * Child side, for `<script> --serve <variant> <statsdPort>`. `serve(variant, statsdPort)` builds the app
 * and resolves to its http.Server listening on 127.0.0.1:0. The port goes to the parent over IPC; a 'cpu'
 * message is answered with process.cpuUsage(); a 'flush' message makes statskit's clients write what
 * they hold (their `beforeExit` handler, the only one in these children: hot-shots, dats and the
 * frameworks install none) and is answered once the writes were handed to the sockets. The child exits
 * when the parent goes away (disconnect), so no server outlives a crashed run.
 */
export async function serveChild(serve) {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg) => {
    if (msg === 'cpu') process.send({ cpu: process.cpuUsage() });
    else if (msg === 'flush') {
      process.emit('beforeExit', process.exitCode ?? 0);
      setImmediate(() => process.send({ flushed: true }));
    }
  });
  const server = await serve(process.argv[3], Number(process.argv[4]));
  process.send({ port: server.address().port });
}

/**
 * Parent side: runs the rounds, prints the table (stdout; progress goes to stderr) and sets exit code 1
 * when a sending variant sent nothing, or statskit's req/s cost exceeds --budget percent of bare.
 *
 * Flags: --duration 4 --warmup 1 --connections 32 --rounds max(3, variant count) --budget 3
 * --rate 0 (> 0: a fixed request rate instead of as fast as the server answers)
 * --all-alive --compare-modes --markdown (a block for docs/benchmarks.md's "HTTP frameworks" section).
 *
 * @param {object} o
 * @param {string | URL} o.script the calling script (import.meta.url): forked with --serve per variant
 * @param {string} o.title framework name for the header line, e.g. 'Express'
 * @param {string} o.frameworkVersion
 * @param {string[]} o.variants must include 'bare' and 'statskit'; the order is round 1's
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
      duration: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: String(Math.max(3, variants.length)) },
      connections: { type: 'string', default: '32' },
      rate: { type: 'string', default: '0' },
      budget: { type: 'string', default: '3' },
      'all-alive': { type: 'boolean', default: false },
      'compare-modes': { type: 'boolean', default: false },
      markdown: { type: 'boolean', default: false },
      pin: { type: 'boolean', default: false },
      save: { type: 'string' },
    },
  });
  const o = {
    duration: number(values, 'duration', 0.1),
    warmup: number(values, 'warmup', 0),
    rounds: number(values, 'rounds', 1),
    connections: number(values, 'connections', 1),
    rate: number(values, 'rate', 0),
  };
  const budget = number(values, 'budget', 0);
  if (!Number.isInteger(o.rounds)) throw new Error(`--rounds must be a whole number, got ${o.rounds}`);
  const modes = values['compare-modes']
    ? ['one-at-a-time', 'all-alive']
    : [values['all-alive'] ? 'all-alive' : 'one-at-a-time'];
  if (values['all-alive'] && o.rounds % variants.length !== 0)
    console.error(
      `warning: --rounds ${o.rounds} is not a multiple of ${variants.length} (the variant count): ` +
        'with all servers alive some variants are measured first more often, which biases their CPU figure',
    );
  const { default: autocannon } = await import('autocannon');
  const cpus = availableParallelism(); // before --pin narrows this process to one
  // --pin: this process (autocannon) on CPU 0, every server (all its threads) on CPU 1, so that the
  // load generator and the measured server never take turns on one core (Linux, util-linux taskset).
  const pin = values.pin ? pinner() : undefined;
  pin?.(process.pid, 0);

  const sinks = {};
  const alive = []; // the all-alive servers
  /** mode → variant → per-round records {rps, cpu, user, system, requests, lines, packets, position} */
  const runs = Object.fromEntries(modes.map((m) => [m, Object.fromEntries(variants.map((v) => [v, []]))]));
  const width = Math.max(...variants.map((v) => v.length));
  const ctx = { autocannon, o, script, sinks };
  try {
    for (const v of variants) sinks[v] = await sink();
    if (modes.includes('all-alive'))
      for (const v of variants) alive.push(await start(script, v, sinks[v].port, pin));
    for (let r = 0; r < o.rounds; r++) {
      const order = orderOf(r, variants.length).map((i) => variants[i]);
      for (const mode of modes) {
        for (const [position, v] of order.entries()) {
          const server =
            mode === 'all-alive'
              ? alive.find((s) => s.variant === v)
              : await start(script, v, sinks[v].port, pin);
          let rec;
          try {
            rec = await measure(ctx, server);
          } finally {
            if (mode === 'one-at-a-time') await stop(server);
          }
          rec.position = position;
          runs[mode][v].push(rec);
          console.error(
            `round ${r + 1}${modes.length > 1 ? ` ${mode.padEnd(13)}` : ''} #${position + 1}: ` +
              `${v.padEnd(width)} ${rec.rps.toFixed(0)} req/s, server CPU ${rec.cpu.toFixed(1)} µs/req ` +
              `(user ${rec.user.toFixed(1)} + system ${rec.system.toFixed(1)}), ` +
              `${(rec.lines / rec.requests).toFixed(3)} lines/req`,
          );
        }
      }
    }
  } finally {
    await Promise.all(alive.map(stop));
    await quiet(Object.values(sinks), QUIET_MS, 0, 2000);
    for (const s of Object.values(sinks)) s.socket.close();
  }

  const loads = modes.flatMap((m) => variants.flatMap((v) => runs[m][v].map((r) => r.load)));
  const header =
    `${title} ${frameworkVersion}, node ${process.version}, ${o.connections} connections${o.rate > 0 ? ` at ${o.rate} req/s` : ''}, ` +
    `${o.warmup} s warmup + ${o.duration} s measured × ${o.rounds} rounds (rotating order), ` +
    `1-min load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} on ${cpus} CPUs${pin ? ' (load generator on CPU 0, server on CPU 1)' : ''}`;
  let failed = false;
  for (const mode of modes) {
    const s = summarize(variants, runs[mode]);
    const method =
      mode === 'all-alive'
        ? 'all servers alive for the whole run (--all-alive)'
        : 'one server alive at a time (fork, warm, measure, drain, kill)';
    const out = values.markdown
      ? markdown(header, method, variants, s, sinks)
      : plain(header, method, variants, s, sinks);
    console.log(out);
    console.log(positionLine(variants, runs[mode], s));
    for (const v of variants)
      if (!NOT_SENDING.has(v) && s[v].lines === 0) {
        console.error(
          `${v} sent no metric lines during its measured runs: it was not measured doing its work`,
        );
        failed = true;
      }
    if (mode === modes[0]) {
      const cost = ((s.bare.rps - s.statskit.rps) / s.bare.rps) * 100;
      console.log(`\nstatskit costs ${cost.toFixed(1)} % of bare req/s (budget ${budget} %)`);
      if (cost > budget) process.exitCode = 1;
    }
  }
  if (modes.length > 1) console.log(`\n${biasLine(variants, runs)}`);
  // --save <file>: every measured run's record (mode → variant → rounds), for analyses the table omits
  if (values.save) writeFileSync(values.save, `${JSON.stringify({ node: process.version, o, runs })}\n`);
  if (failed) process.exitCode = 1;
}

/**
 * One measured run of an alive server: warmup, flush + quiet (warmup lines leave), CPU and sink counts
 * around the measured run, then flush + drain so the run's own lines are all counted.
 */
async function measure({ autocannon, o, sinks }, server) {
  const snk = sinks[server.variant];
  if (o.warmup > 0) await cannon(autocannon, server.url, o.warmup, o);
  await ask(server.child, 'flush', 'flushed');
  await quiet([snk], QUIET_MS, DRAIN_MS, 4000);
  const c0 = snk.counts.lines;
  const p0 = snk.counts.packets;
  const cpu0 = await ask(server.child, 'cpu', 'cpu');
  const { average, total } = await cannon(autocannon, server.url, o.duration, o);
  const cpu1 = await ask(server.child, 'cpu', 'cpu');
  await ask(server.child, 'flush', 'flushed');
  await quiet([snk], QUIET_MS, DRAIN_MS, 4000);
  const user = (cpu1.user - cpu0.user) / total;
  const system = (cpu1.system - cpu0.system) / total;
  return {
    load: loadavg()[0],
    rps: average,
    requests: total,
    user,
    system,
    cpu: user + system,
    lines: snk.counts.lines - c0,
    packets: snk.counts.packets - p0,
  };
}

/**
 * Per variant: medians and min–max of req/s and CPU µs/req, lines and packets over the measured runs,
 * and, against bare (and statskit for 'statskit-tags'), the median and min–max of the per-round
 * differences (`runs[v][i]` and `runs.bare[i]` come from the same round).
 */
function summarize(variants, runs) {
  const s = {};
  for (const v of variants) {
    const rs = runs[v];
    const cpu = rs.map((r) => r.cpu);
    const requests = sum(rs.map((r) => r.requests));
    s[v] = {
      rps: median(rs.map((r) => r.rps)),
      rpsRange: range(rs.map((r) => r.rps)),
      cpu: median(cpu),
      cpuRange: range(cpu),
      requests,
      lines: sum(rs.map((r) => r.lines)),
      packets: sum(rs.map((r) => r.packets)),
      added: paired(rs, runs.bare),
    };
  }
  if (s['statskit-tags']) s['statskit-tags'].vsNames = paired(runs['statskit-tags'], runs.statskit);
  return s;
}

/** Median and min–max of the per-round differences a[i].cpu − b[i].cpu. */
function paired(a, b) {
  const d = a.map((r, i) => r.cpu - b[i].cpu);
  return { median: median(d), range: range(d), rounds: d };
}

function incumbents(variants) {
  return variants.filter((v) => !NOT_SENDING.has(v) && !v.startsWith('statskit'));
}

/** The plain-text table (the default output). */
function plain(header, method, variants, s, sinks) {
  const rows = [`\n${header}, ${method}; medians [min–max]`];
  rows.push(
    '| server | req/s | server CPU µs/req | added vs bare µs/req (paired) | % of bare | lines/req | packets/req | lines / packets (all) |',
  );
  rows.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const v of variants) rows.push(`| ${row(v, s, sinks).join(' | ')} |`);
  rows.push('', ...conclusions(variants, s));
  return rows.join('\n');
}

/** The same table as a block for docs/benchmarks.md ("HTTP frameworks"). */
function markdown(header, method, variants, s, sinks) {
  const rows = [
    '',
    '```',
    `node ${process.execArgv.join(' ')}${process.execArgv.length ? ' ' : ''}http/${basename(process.argv[1])} ${process.argv.slice(2).join(' ')}`.trimEnd() +
      '   # in benchmarks/',
    '```',
    '',
    `${header}; ${method}. Medians over the rounds, [min–max]; "added" is the median of the per-round`,
    'differences against bare measured in the same round, [min–max of those differences]. Server CPU is the',
    "child's process.cpuUsage() (user + system) around the measured run, per request. Lines and packets are",
    "what the variant's UDP sink received during its measured runs (flushed and drained before the kill).",
    '',
    '| server | req/s | server CPU µs/req | added vs bare, µs/req | % of bare | lines/req | packets/req | lines / packets (whole run) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const v of variants) rows.push(`| ${row(v, s, sinks).join(' | ')} |`);
  rows.push('', ...conclusions(variants, s).map((l) => `- ${l}`));
  return rows.join('\n');
}

function row(v, s, sinks) {
  const x = s[v];
  const bare = v === 'bare';
  return [
    v,
    `${x.rps.toFixed(0)} [${x.rpsRange.map((n) => n.toFixed(0)).join('–')}]`,
    `${x.cpu.toFixed(1)} [${x.cpuRange.map((n) => n.toFixed(1)).join('–')}]`,
    bare ? '—' : `${signed(x.added.median)} [${x.added.range.map((n) => signed(n)).join(' … ')}]`,
    bare ? '—' : `${signed((x.added.median / s.bare.cpu) * 100)} %`,
    (x.lines / x.requests).toFixed(3),
    (x.packets / x.requests).toFixed(4),
    `${sinks[v].counts.lines} / ${sinks[v].counts.packets}`,
  ];
}

/** statskit's added cost against bare, noop, each incumbent; tags mode against names mode. */
function conclusions(variants, s) {
  const a = (v) => s[v].added.median;
  const lines = [
    `statskit adds ${signed(a('statskit'))} µs/req [${s.statskit.added.range.map((n) => signed(n)).join(' … ')}] ` +
      `= ${signed((a('statskit') / s.bare.cpu) * 100)} % of bare's ${s.bare.cpu.toFixed(1)} µs/req`,
  ];
  if (s.noop)
    lines.push(
      `noop (merely having a middleware/hook) adds ${signed(a('noop'))} µs/req [${s.noop.added.range.map((n) => signed(n)).join(' … ')}]`,
    );
  for (const v of incumbents(variants))
    lines.push(
      `${v} adds ${signed(a(v))} µs/req [${s[v].added.range.map((n) => signed(n)).join(' … ')}]: ` +
        `statskit's added cost is ${(a('statskit') / a(v)).toFixed(2)}× ${v}'s ` +
        `(per round ${range(s.statskit.added.rounds.map((x, i) => x / s[v].added.rounds[i]))
          .map((n) => n.toFixed(2))
          .join(' … ')})`,
    );
  if (s['statskit-tags']) {
    const t = s['statskit-tags'];
    lines.push(
      `statskit-tags adds ${signed(a('statskit-tags'))} µs/req: ${(a('statskit-tags') / a('statskit')).toFixed(2)}× names mode ` +
        `(paired tags − names ${signed(t.vsNames.median)} [${t.vsNames.range.map((n) => signed(n)).join(' … ')}] µs/req)`,
    );
  }
  return lines;
}

/**
 * How far each position in a round reads from the variant's median CPU, averaged over the runs in that
 * position and shown against the average position (a slow round lifts every position alike).
 */
function positionOffsets(variants, runs, s) {
  const offsets = variants.map((_, p) => {
    const ds = variants.flatMap((v) => runs[v].filter((r) => r.position === p).map((r) => r.cpu - s[v].cpu));
    return ds.length === 0 ? 0 : sum(ds) / ds.length;
  });
  const mean = sum(offsets) / offsets.length;
  return offsets.map((d) => d - mean);
}

function positionLine(variants, runs, s) {
  return (
    '\nserver CPU by position in the round, µs/req against the average position: ' +
    positionOffsets(variants, runs, s)
      .map((d, p) => `#${p + 1} ${signed(d)}`)
      .join(', ')
  );
}

/** --compare-modes: the first position's offset in each mode, and each variant's median in both. */
function biasLine(variants, runs) {
  const s1 = summarize(variants, runs['one-at-a-time']);
  const s2 = summarize(variants, runs['all-alive']);
  const first1 = positionOffsets(variants, runs['one-at-a-time'], s1)[0];
  const first2 = positionOffsets(variants, runs['all-alive'], s2)[0];
  return [
    `fork-position bias: the server measured first in a round reads ${signed(first2)} µs/req against the ` +
      `average position with all servers alive, ${signed(first1)} one at a time`,
    'median server CPU µs/req, one at a time → all alive: ' +
      variants.map((v) => `${v} ${s1[v].cpu.toFixed(1)} → ${s2[v].cpu.toFixed(1)}`).join(', '),
    'all alive − one at a time, paired per round (median [min … max]), by fork order: ' +
      variants
        .map((v, i) => {
          const d = paired(runs['all-alive'][v], runs['one-at-a-time'][v]);
          return `#${i + 1} ${v} ${signed(d.median)} [${d.range.map((n) => signed(n)).join(' … ')}]`;
        })
        .join(', '),
  ].join('\n');
}

/**
 * The order of round `round` as indices into the variants: a cyclic rotation, round r starting at
 * variant r, so over any n consecutive rounds (n variants) every variant takes every position once.
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

/**
 * A UDP sink on 127.0.0.1 that counts packets and metric lines (a packet holds newline-joined lines).
 * What the kernel drops when the sink falls behind is not counted: a lines/req slightly under the
 * variant's own figure (1.99 for 2 lines a request) is the sink's loss, not the variant's.
 */
export function sink() {
  const socket = dgram.createSocket('udp4');
  const counts = { packets: 0, lines: 0, last: 0 };
  socket.on('message', (msg) => {
    counts.packets++;
    counts.last = performance.now();
    let n = 1;
    for (let i = 0; i < msg.length; i++) if (msg[i] === 10 && i < msg.length - 1) n++;
    counts.lines += n;
  });
  return new Promise((resolve) =>
    socket.bind(0, '127.0.0.1', () => {
      // An unbuffered incumbent sends tens of thousands of packets a second into this busy process: a
      // larger receive buffer (the kernel caps it at net.core.rmem_max) keeps the count from dropping.
      socket.setRecvBufferSize(8 * 1024 * 1024);
      resolve({ socket, counts, port: socket.address().port });
    }),
  );
}

/**
 * Resolves once none of `sinks` received a packet for `quietMs`, and at least `minMs` after the call;
 * at most `maxMs` after it.
 */
async function quiet(sinks, quietMs, minMs, maxMs) {
  const t0 = performance.now();
  for (;;) {
    const now = performance.now();
    const last = Math.max(t0, ...sinks.map((s) => s.counts.last));
    if ((now - t0 >= minMs && now - last >= quietMs) || now - t0 >= maxMs) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Forks `script --serve variant statsdPort` and resolves once the child reports its port. */
function start(script, variant, statsdPort, pin) {
  const child = fork(new URL(script), ['--serve', variant, String(statsdPort)], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    const onExit = (code) => reject(new Error(`${variant} server exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', ({ port }) => {
      child.off('exit', onExit);
      pin?.(child.pid, 1);
      resolve({ variant, child, url: `http://127.0.0.1:${port}/hello/world` });
    });
  });
}

/** For --pin: a function moving every thread of a process to one CPU (throws where taskset is missing). */
function pinner() {
  if (availableParallelism() < 2) throw new Error('--pin needs two CPUs');
  return (pid, cpu) => {
    const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
    if (r.status !== 0)
      throw new Error(`taskset -a -p -c ${cpu} ${pid} failed (${r.error?.message ?? r.status})`);
  };
}

/** SIGTERM (statskit sends what it still holds, then dies of it); SIGKILL if it lingers 3 s. */
async function stop({ child }) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Sends `msg` to the child and resolves with the `key` of its answer. */
function ask(child, msg, key) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m && typeof m === 'object' && key in m) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(m[key]);
      }
    };
    const onExit = (code) => reject(new Error(`server exited with ${code} while asked '${msg}'`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(msg);
  });
}

/** `o.rate` > 0: at most that many requests per second over all connections (autocannon's overallRate). */
async function cannon(autocannon, url, duration, { connections, rate }) {
  const result = await autocannon({
    url,
    duration,
    connections,
    pipelining: 1,
    ...(rate > 0 ? { overallRate: rate } : {}),
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { average: result.requests.average, total: result.requests.total };
}

/** The median; of an even count, the mean of the middle two. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function range(xs) {
  return [Math.min(...xs), Math.max(...xs)];
}

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

function signed(x, unit = '') {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}${unit}`;
}

/** For one-at-a-time.mjs: the framework a script measures, from its file name (`http/koa.mjs` → koa). */
export function frameworkOf(script) {
  return basename(fileURLToPath(script), '.mjs');
}
