/**
 * Run statskit and its peers through the same workloads against a receiver in another process, and
 * print a table (or JSON lines with --json). See docs/benchmarks.md for what each column means.
 *
 *   node src/run.mjs [--n 1000000] [--runs 5] [--chunk 1000] [--warmup N]
 *                    [--clients statskit,hot-shots] [--workloads incr,mix] [--modes buffered]
 *                    [--json] [--write-docs] [--save results.jsonl] [--cpu-prof dir]
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ADAPTERS, loadAdapter } from './adapters/index.mjs';
import { writeDocs } from './lib/docs.mjs';
import { checkTargets, MODES, renderTables } from './lib/format.mjs';
import { Child } from './lib/ipc.mjs';
import { udpRcvbufErrors } from './lib/snmp.mjs';
import { median } from './lib/stats.mjs';
import { packageVersion } from './lib/versions.mjs';
import { WORKLOADS } from './workloads.mjs';

const HOST = '127.0.0.1';
/** How long the receiver must see no packet before it reports (after close() resolved). */
const QUIET_MS = 100;

/** @param {string[]} argv */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      n: { type: 'string', default: '1000000' },
      runs: { type: 'string', default: '5' },
      chunk: { type: 'string', default: '1000' },
      warmup: { type: 'string' },
      clients: { type: 'string', default: ADAPTERS.join(',') },
      workloads: { type: 'string', default: Object.keys(WORKLOADS).join(',') },
      modes: { type: 'string', default: MODES.join(',') },
      json: { type: 'boolean', default: false },
      'write-docs': { type: 'boolean', default: false },
      save: { type: 'string' },
      'cpu-prof': { type: 'string' },
    },
  });
  const int = (/** @type {string} */ name, /** @type {string} */ v, min = 1) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${v}`);
    return x;
  };
  const list = (
    /** @type {string} */ v,
    /** @type {readonly string[]} */ known,
    /** @type {string} */ what,
  ) => {
    const xs = v.split(',').filter(Boolean);
    for (const x of xs)
      if (!known.includes(x)) throw new Error(`unknown ${what} ${x}; known: ${known.join(', ')}`);
    return xs;
  };
  const n = int('n', values.n, 3);
  return {
    n,
    runs: int('runs', values.runs),
    chunk: int('chunk', values.chunk),
    warmup: values.warmup === undefined ? Math.min(n, 100_000) : int('warmup', values.warmup, 0),
    clients: list(values.clients, ADAPTERS, 'client'),
    workloads: list(values.workloads, Object.keys(WORKLOADS), 'workload'),
    modes: /** @type {import('./lib/format.mjs').Mode[]} */ (list(values.modes, MODES, 'mode')),
    json: values.json,
    writeDocs: values['write-docs'],
    save: values.save,
    cpuProf: values['cpu-prof'],
  };
}

/** @param {string} msg */
const progress = (msg) => process.stderr.write(`${msg}\n`);

/**
 * One (workload, mode): a child per client, runs interleaved round-robin.
 * @param {Child} receiver
 * @param {number} port
 * @param {string} workload
 * @param {import('./lib/format.mjs').Mode} mode
 * @param {ReturnType<typeof parseOptions>} opts
 * @returns {Promise<import('./lib/format.mjs').Row[]>}
 */
async function runGroup(receiver, port, workload, mode, opts) {
  /** @type {import('./lib/format.mjs').Row[]} */
  const rows = [];
  /** @type {{ client: string; child: Child; ready: any; perRun: any[] }[]} */
  const live = [];
  const workerUrl = new URL('./worker.mjs', import.meta.url);
  try {
    for (const client of opts.clients) {
      const adapter = await loadAdapter(client);
      const base = { workload, client, version: packageVersion(adapter.pkg), mode };
      const execArgv = ['--expose-gc', '--no-deprecation'];
      if (opts.cpuProf !== undefined) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`);
      const child = new Child(workerUrl, execArgv);
      const ready = await child.ask({
        type: 'init',
        client,
        workload,
        mode,
        host: HOST,
        port,
        n: opts.n,
      });
      if (ready.type === 'na') {
        rows.push({ ...base, status: 'na', reason: ready.reason });
        await child.stop();
        continue;
      }
      rows.push({
        ...base,
        status: 'ok',
        ...(ready.variant === undefined ? {} : { variant: ready.variant }),
      });
      live.push({ client, child, ready, perRun: [] });
    }
    const measure = async (/** @type {(typeof live)[number]} */ w, /** @type {number} */ ops) => {
      await receiver.ask({ type: 'reset' }, 10_000);
      const drops0 = udpRcvbufErrors();
      const done = await w.child.ask({ type: 'run', ops, chunk: opts.chunk });
      const got = await receiver.ask({ type: 'totals', quietMs: QUIET_MS, maxWaitMs: 10_000 }, 20_000);
      const drops1 = udpRcvbufErrors();
      const rcvbufDrops = drops0 === undefined || drops1 === undefined ? undefined : drops1 - drops0;
      return { done, got, rcvbufDrops };
    };
    if (opts.warmup > 0) {
      for (const w of live) {
        const ops = Math.max(1, Math.floor(opts.warmup / w.ready.callsPerOp));
        await measure(w, ops);
      }
    }
    for (let r = 0; r < opts.runs; r++) {
      for (let k = 0; k < live.length; k++) {
        const w = /** @type {(typeof live)[number]} */ (live[(k + r) % live.length]);
        const { done, got, rcvbufDrops } = await measure(w, w.ready.ops);
        const exp = w.ready.expected;
        const delivered =
          w.ready.deliveredBy === 'lines' ? got.samples / exp.lines : got.scaledCounterSum / exp.counterSum;
        w.perRun.push({
          nsPerCall: (done.loopMs * 1e6) / done.calls,
          loopMs: done.loopMs,
          closeMs: done.closeMs,
          rssGrowth: done.rssGrowth,
          packets: got.packets,
          bytes: got.bytes,
          lines: got.lines,
          counterSum: got.counterSum,
          scaledCounterSum: got.scaledCounterSum,
          delivered,
          rcvbufDrops,
        });
        progress(
          `  ${workload} ${mode} ${w.client} run ${r + 1}/${opts.runs}: ` +
            `${((done.loopMs * 1e6) / done.calls).toFixed(1)} ns/call, delivered ${(delivered * 100).toFixed(2)} %` +
            (rcvbufDrops ? ` (kernel dropped ${rcvbufDrops} datagrams at full receive buffers)` : ''),
        );
      }
    }
    for (const w of live) {
      const row = /** @type {import('./lib/format.mjs').Row} */ (rows.find((x) => x.client === w.client));
      const pr = w.perRun;
      const ns = median(pr.map((x) => x.nsPerCall));
      Object.assign(row, {
        calls: w.ready.ops * w.ready.callsPerOp,
        runs: pr.length,
        nsPerCall: ns,
        callsPerSec: 1e9 / ns,
        packets: median(pr.map((x) => x.packets)),
        bytes: median(pr.map((x) => x.bytes)),
        delivered: Math.min(...pr.map((x) => x.delivered)),
        rssGrowth: Math.max(...pr.map((x) => x.rssGrowth)),
        closeMs: median(pr.map((x) => x.closeMs)),
        rcvbufDrops: pr.some((x) => x.rcvbufDrops === undefined)
          ? undefined
          : pr.reduce((a, x) => a + x.rcvbufDrops, 0),
        perRun: pr,
      });
    }
    const sk = rows.find((x) => x.client === 'statskit' && x.status === 'ok');
    if (sk?.nsPerCall !== undefined) {
      for (const row of rows) if (row.nsPerCall !== undefined) row.ratio = row.nsPerCall / sk.nsPerCall;
    }
    return rows;
  } finally {
    for (const w of live) await w.child.stop();
  }
}

/** @param {string[]} argv */
export async function main(argv) {
  const opts = parseOptions(argv);
  const receiver = new Child(new URL('./receiver.mjs', import.meta.url));
  const started = new Date();
  /** @type {import('./lib/format.mjs').Row[]} */
  const rows = [];
  try {
    const ready = await receiver.next(10_000);
    if (ready.type !== 'ready') throw new Error(`receiver: ${JSON.stringify(ready)}`);
    progress(
      `receiver on ${HOST}:${ready.port} (recv buffer ${ready.recvBuffer} bytes); ` +
        `n=${opts.n} runs=${opts.runs} chunk=${opts.chunk} warmup=${opts.warmup}`,
    );
    if (opts.save !== undefined) writeFileSync(opts.save, '');
    for (const workload of opts.workloads) {
      for (const mode of opts.modes) {
        const group = await runGroup(receiver, ready.port, workload, mode, opts);
        for (const row of group) row.node = process.version; // the workers are forked with this binary
        rows.push(...group);
        for (const row of group) {
          const line = JSON.stringify({
            ...row,
            n: opts.n,
            chunk: opts.chunk,
            warmup: opts.warmup,
            date: started.toISOString(),
          });
          if (opts.json) process.stdout.write(`${line}\n`);
          if (opts.save !== undefined) appendFileSync(opts.save, `${line}\n`);
        }
      }
    }
  } finally {
    await receiver.stop();
  }
  if (!opts.json) {
    process.stdout.write(`\n${renderTables(rows)}\n${checkTargets(rows)}\n\n`);
  }
  if (opts.writeDocs) {
    await writeDocs(rows, {
      n: opts.n,
      runs: opts.runs,
      chunk: opts.chunk,
      warmup: opts.warmup,
      command: `node src/run.mjs ${argv.join(' ')}`.trim(),
      date: started,
    });
    progress('wrote docs/benchmarks.md');
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}
