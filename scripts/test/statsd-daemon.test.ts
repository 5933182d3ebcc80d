/**
 * Issue 25: `npm run demo` failed on Node 24 and 26 — the etsy statsd daemon (npm `statsd` 0.9) calls
 * `util.log`, removed in Node 23 ("TypeError: util.log is not a function", then "timed out waiting for
 * the statsd daemon to start"). scripts/lib/statsd-daemon.mjs, the one launcher of the daemon (tests,
 * demos), preloads scripts/lib/statsd-util-log.cjs, which supplies `util.log` only where it is missing.
 * These run under the Node that runs the suite, so CI proves them on every version it runs (20 to 26).
 */
import { execFile, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, test } from 'vitest';
import { freePort } from '../lib/free-port.mjs';
import { spawnStatsd, UTIL_LOG_SHIM, writeStatsdConfig } from '../lib/statsd-daemon.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'statskit-daemon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const major = Number(process.versions.node.split('.')[0]);

test(`the util.log shim: Node ${process.versions.node} keeps its own util.log where it has one, gets one where not`, () => {
  const probe =
    "const u = require('node:util'); const had = typeof u.log === 'function'; require(process.argv[1]);" +
    "u.log('hello', 42); process.stderr.write(String(had));";
  const r = spawnSync(process.execPath, ['--no-deprecation', '-e', probe, UTIL_LOG_SHIM], {
    encoding: 'utf8',
  });
  expect(r.status).toBe(0);
  // Node 23 removed util.log; up to 22 the built-in one is left alone
  expect(r.stderr).toBe(String(major < 23));
  // the format of Node's own util.log: `5 Dec 14:22:01 - hello 42`
  expect(r.stdout).toMatch(/^\d{1,2} [A-Z][a-z]{2} \d\d:\d\d:\d\d - hello 42\n$/);
});

test(`the launcher starts the etsy statsd daemon under Node ${process.versions.node} and it counts what it receives`, async () => {
  const udpPort = await freePort('udp');
  const config = writeStatsdConfig(join(dir, 'config.js'), {
    mgmt_address: '127.0.0.1',
    mgmt_port: await freePort('tcp'),
    flushInterval: 200,
    backends: ['./backends/console'],
    deleteIdleStats: true,
    servers: [{ server: './servers/udp', address: '127.0.0.1', port: udpPort }],
  });
  const child = spawnStatsd(config);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const until = Date.now() + 15_000;
    while (!out.includes('server is up')) {
      if (child.exitCode !== null || Date.now() > until) throw new Error(`the daemon did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(out).not.toContain('is not a function');
    expect(out).not.toContain('DEP0059'); // Node 22's util.log deprecation warning, silenced
    // the console backend prints its counters on every flush: send until one shows ours
    const sock = dgram.createSocket('udp4');
    try {
      while (!/'launcher\.hit': [1-9]/.test(out)) {
        if (child.exitCode !== null || Date.now() > until)
          throw new Error(`no flush with the counter:\n${out}`);
        await new Promise<void>((resolve) =>
          sock.send('launcher.hit:1|c', udpPort, '127.0.0.1', () => resolve()),
        );
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      sock.close();
    }
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}, 30_000);

test.each([
  ['npm run demo', []],
  ['npm run demo -- --tcp --framework fastify', ['--tcp', '--framework', 'fastify']],
])(
  `%s runs under Node ${process.versions.node}`,
  async (_name, args) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['scripts/demo.mjs', ...args], {
      cwd: root,
      timeout: 60_000,
      maxBuffer: 4 << 20,
    });
    expect(stdout).toContain('statsd daemon up');
    if (args.length === 0) {
      expect(stdout).toMatch(/stats\.counters\.demo\.requests\.count +90\n/);
      expect(stdout).toMatch(/, 0 errors\n/);
    } else {
      expect(stdout).toMatch(/stats\.timers\.demo\.http\.\S+\.count +\d+\n/);
      expect(stdout).toContain('client: 0 errors');
    }
  },
  70_000,
);
