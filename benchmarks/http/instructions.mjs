#!/usr/bin/env node
/**
 * Instructions per request, counted rather than timed: each variant's server runs under valgrind's
 * callgrind (one at a time, or `--parallel` at once: a count does not depend on what else runs), is
 * warmed up, has its counters zeroed, serves `--requests` requests over `--connections` keep-alive
 * connections, and is dumped. The figure is the server's main JavaScript thread (where the app, the
 * middleware and the client run); V8's helper threads (concurrent marking, compilers) are shown apart.
 * Kernel work (the sockets' system calls) is not counted: µs of CPU stay the headline (one-at-a-time.mjs),
 * this is the steady figure beside them, for differences of a few per cent of a request.
 *
 *   node http/instructions.mjs http/express.mjs bare noop statskit express-hot-shots [--requests 20000]
 *     [--warm 5000] [--connections 8] [--parallel 2] [--functions 40]
 *
 * Repeatability on this 2-core VM: the same server counted twice differs by ~1 % (GC timing); the
 * variants' differences against bare are what to read. `--functions N` adds the N functions whose own
 * instructions grew most against bare (node's `--perf-basic-prof` names the JIT code; that flag itself
 * adds some thousands of instructions per request, so the totals of that table are not the headline's).
 * Needs valgrind (apt-get install valgrind) and a per-framework script's `--serve` (lib.mjs serveChild).
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sink } from './lib.mjs';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    requests: { type: 'string', default: '20000' },
    warm: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '8' },
    parallel: { type: 'string', default: '2' },
    functions: { type: 'string', default: '0' },
  },
});
const [file, ...variants] = positionals;
if (!file || variants.length === 0 || !variants.includes('bare')) {
  console.error(
    'usage: instructions.mjs <script> bare <variant>... [--requests N] [--warm N] [--parallel N] [--functions N]',
  );
  process.exit(2);
}
const script = pathToFileURL(resolve(file)).href;
const o = {
  requests: Number(values.requests),
  warm: Number(values.warm),
  connections: Number(values.connections),
  functions: Number(values.functions),
};

/** `n` GET /hello/world over `connections` keep-alive connections; rejects on a non-200. */
async function drive(port, n, connections) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let sent = 0;
  let done = 0;
  await new Promise((resolveAll, reject) => {
    const one = () => {
      if (sent >= n) return;
      sent++;
      http
        .get({ host: '127.0.0.1', port, path: '/hello/world', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
            else if (++done === n) resolveAll();
            else one();
          });
        })
        .on('error', reject);
    };
    for (let i = 0; i < connections; i++) one();
  });
  agent.destroy();
}

/** Self instructions by function name from a callgrind dump (compress-strings=no, compress-pos=no). */
function selfByFunction(text) {
  const self = new Map();
  let fn = '?';
  let skip = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('fn=')) fn = line.slice(3);
    else if (line.startsWith('calls='))
      skip = true; // the next cost line is the call's inclusive cost
    else if (/^[0-9+*-]/.test(line)) {
      if (skip) {
        skip = false;
        continue;
      }
      const ir = Number(line.trim().split(/\s+/)[1] ?? 0);
      if (ir) self.set(fn, (self.get(fn) ?? 0) + ir);
    }
  }
  return self;
}

/** JIT code addresses → names, from node's --perf-basic-prof map. */
function perfMap(pid) {
  let text = '';
  try {
    text = readFileSync(`/tmp/perf-${pid}.map`, 'utf8');
    rmSync(`/tmp/perf-${pid}.map`);
  } catch {
    return () => undefined;
  }
  const map = text
    .trim()
    .split('\n')
    .map((l) => {
      const [a, s, ...name] = l.split(' ');
      return [Number.parseInt(a, 16), Number.parseInt(s, 16), name.join(' ')];
    })
    .sort((x, y) => x[0] - y[0]);
  return (addr) => {
    let lo = 0;
    let hi = map.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (map[mid][0] <= addr) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best >= 0 && addr < map[best][0] + map[best][1] ? map[best][2] : undefined;
  };
}

/** One variant under callgrind: { main, helpers } instructions per request, and self cost by function. */
async function count(variant, named) {
  const dir = mkdtempSync(join(tmpdir(), 'statskit-callgrind-'));
  const { socket, counts, port: statsdPort } = await sink();
  const child = fork(new URL(script), ['--serve', variant, String(statsdPort)], {
    execPath: 'valgrind',
    execArgv: [
      '--tool=callgrind',
      `--callgrind-out-file=${dir}/cg.%p`,
      '--smc-check=all-non-file', // V8 writes and rewrites its code on the heap
      '--separate-threads=yes',
      '--compress-strings=no',
      '--compress-pos=no',
      '--quiet',
      process.execPath,
      ...(named ? ['--perf-basic-prof'] : []),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    cwd: dir, // where V8 writes the isolate log --perf-basic-prof asks for
  });
  try {
    const port = await new Promise((res, rej) => {
      child.once('message', (m) => res(m.port));
      child.once('exit', (code) => rej(new Error(`${variant} exited with ${code} under valgrind`)));
    });
    await drive(port, o.warm, o.connections);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    const l0 = counts.lines;
    await drive(port, o.requests, o.connections);
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 1500)); // the last packets (statskit flushes every second)
    const nameOf = named ? perfMap(child.pid) : () => undefined;
    let main = 0;
    let helpers = 0;
    let self;
    for (const f of readdirSync(dir).filter((f) => /\.1-\d+$/.test(f))) {
      const text = readFileSync(join(dir, f), 'utf8');
      const total = Number(/^summary: (\d+)/m.exec(text)?.[1] ?? /^totals: (\d+)/m.exec(text)?.[1] ?? 0);
      if (f.endsWith('-01')) {
        main = total;
        if (o.functions > 0) {
          self = new Map();
          for (const [fn, ir] of selfByFunction(text)) {
            const m = /^0x([0-9a-f]+)/.exec(fn);
            const name = ((m ? nameOf(Number.parseInt(m[1], 16)) : undefined) ?? fn)
              .replace(/^JS:[*~^+]?'?/, 'JS ')
              .replace(/chunk-[A-Z0-9]+\.js/, 'chunk.js')
              .replace(/^0x[0-9a-f]+/, '(unnamed JIT code)');
            self.set(name, (self.get(name) ?? 0) + ir / o.requests);
          }
        }
      } else helpers += total;
    }
    return {
      variant,
      main: main / o.requests,
      helpers: helpers / o.requests,
      linesPerReq: (counts.lines - l0) / o.requests,
      self,
    };
  } finally {
    child.kill('SIGKILL');
    socket.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function all(named) {
  const queue = [...variants];
  const out = new Map();
  const workers = Array.from({ length: Math.max(1, Number(values.parallel)) }, async () => {
    for (let v = queue.shift(); v !== undefined; v = queue.shift()) {
      const t0 = performance.now();
      out.set(v, await count(v, named));
      console.error(`${v}: done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
  });
  await Promise.all(workers);
  return out;
}

const fmt = (x) => Math.round(x).toLocaleString('en-US');
const signedK = (x) => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x))}`;
const counted = await all(false);
const bare = counted.get('bare');
console.log(
  `\n${file}: ${o.requests} requests after ${o.warm} warm-up, ${o.connections} connections, node ${process.version}; ` +
    'instructions per request counted by callgrind (main thread; helper threads apart)\n',
);
console.log('| server | instructions/req | added vs bare | % of bare | helper threads/req | lines/req |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const v of variants) {
  const r = counted.get(v);
  const added = r.main - bare.main;
  console.log(
    `| ${v} | ${fmt(r.main)} | ${v === 'bare' ? '—' : signedK(added)} | ${v === 'bare' ? '—' : `${((added / bare.main) * 100).toFixed(1)} %`} | ${fmt(r.helpers)} | ${r.linesPerReq.toFixed(2)} |`,
  );
}
const sk = counted.get('statskit');
if (sk) {
  const added = sk.main - bare.main;
  for (const v of variants.filter(
    (x) => x !== 'bare' && x !== 'noop' && !x.startsWith('statskit') && !x.startsWith('floor-'),
  )) {
    const inc = counted.get(v).main - bare.main;
    console.log(`\nstatskit's added instructions are ${(added / inc).toFixed(2)}× ${v}'s`);
  }
}

if (o.functions > 0) {
  console.error('--functions: counting again with --perf-basic-prof (JIT code named)');
  const named = await all(true);
  const base = named.get('bare').self;
  for (const v of variants.filter((x) => x !== 'bare')) {
    const self = named.get(v).self;
    const keys = new Set([...self.keys(), ...base.keys()]);
    const rows = [...keys]
      .map((k) => [k, (self.get(k) ?? 0) - (base.get(k) ?? 0)])
      .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
      .slice(0, o.functions);
    console.log(`\n${v} − bare, self instructions per request by function (with --perf-basic-prof):`);
    for (const [k, d] of rows) console.log(`${signedK(d).padStart(8)}  ${k.slice(0, 150)}`);
  }
}
