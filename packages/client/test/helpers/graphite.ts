/**
 * Real Graphite for the carbon tests: the system carbon-cache (127.0.0.1:2003) and graphite-web
 * (http://127.0.0.1:8080) that `.ci/services` installs and starts, plus private carbon-cache processes
 * (temporary config and whisper directory, free ports) for tests that kill and restart carbon.
 *
 * Outside CI a missing server skips its tests with a loud message; with `CI` set it fails them: CI must
 * never pass by skipping (the same rule as the DB servers in packages/instrument/test/helpers/servers.ts).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  STATSD_MAIN,
  STATSD_PROXY,
  spawnStatsd,
  writeStatsdConfig,
} from '../../../../scripts/lib/statsd-daemon.mjs';
import { freePort } from './statsd-daemon.js';

const run = promisify(execFile);

export const CARBON_HOST = '127.0.0.1';
export const CARBON_PORT = 2003;
export const WEB_URL = process.env['STATSKIT_GRAPHITE_WEB'] ?? 'http://127.0.0.1:8080';

function canConnect(host: string, port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function webUp(): Promise<boolean> {
  try {
    const res = await fetch(`${WEB_URL}/render?target=constantLine(1)&format=json`, {
      signal: AbortSignal.timeout(3000),
    });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * Whether carbon-cache and graphite-web are up. In CI (`process.env.CI`) a missing one throws, which
 * fails the test file; elsewhere it prints why the tests are skipped and returns false.
 */
export async function graphiteUp(): Promise<boolean> {
  const missing: string[] = [];
  if (!(await canConnect(CARBON_HOST, CARBON_PORT)))
    missing.push(`carbon-cache on ${CARBON_HOST}:${CARBON_PORT}`);
  if (!(await webUp())) missing.push(`graphite-web on ${WEB_URL}`);
  if (missing.length === 0) return true;
  const what = `${missing.join(' and ')} not reachable`;
  if (process.env['CI']) throw new Error(`${what}: CI must run these tests (start them with .ci/services)`);
  console.warn(`\n!!! ${what}: SKIPPING the Graphite tests. Run \`bash .ci/services\` to start them. !!!\n`);
  return false;
}

/** Whether the carbon-cache program is installed (for private instances). */
export function carbonInstalled(): boolean {
  return existsSync('/usr/bin/carbon-cache') && existsSync('/usr/bin/whisper-fetch');
}

/** A metric prefix no other run shares, under the 1-second retention of `.ci/services`. */
export function testPrefix(name: string): string {
  return `statskit_test.${name}_${process.pid}_${Date.now().toString(36)}`;
}

export interface Series {
  readonly target: string;
  readonly datapoints: ReadonlyArray<readonly [number | null, number]>;
}

/** graphite-web's render API, `format=json`. */
export async function render(targets: readonly string[], from = '-10min'): Promise<Series[]> {
  const q = new URLSearchParams();
  for (const t of targets) q.append('target', t);
  q.set('from', from);
  q.set('format', 'json');
  // graphite-web answers 500 when its SQLite tag database is locked by carbon registering new series
  // (other tests create many): try again a few times
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${WEB_URL}/render?${q}`, { signal: AbortSignal.timeout(20_000) });
    if (res.ok) return (await res.json()) as Series[];
    const body = await res.text();
    if (res.status < 500 || attempt >= 5)
      throw new Error(`render ${q}: HTTP ${res.status} ${body.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 500 * attempt));
  }
}

/** The non-null points of a series: [value, ts]. */
export function points(s: Series | undefined): Array<[number, number]> {
  return (s?.datapoints ?? []).filter((p): p is [number, number] => p[0] !== null) as Array<[number, number]>;
}

/** Poll `fn` every 250 ms until it returns a value; reject naming `what` (and the last value seen) after `timeoutMs`. */
export async function waitFor<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
  last?: () => unknown,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last seen: ${JSON.stringify(last())}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The latest non-null value of each target (by the target's name, as graphite-web echoes it). */
export async function latest(targets: readonly string[], from = '-10min'): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const s of await render(targets, from)) {
    const p = points(s);
    const last = p[p.length - 1];
    if (last !== undefined) out.set(s.target, last[0]);
  }
  return out;
}

/** Every non-null value of each target, oldest first (by the target's name, as graphite-web echoes it). */
export async function history(targets: readonly string[], from = '-10min'): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const s of await render(targets, from))
    out.set(
      s.target,
      points(s).map(([v]) => v),
    );
  return out;
}

/** A carbon-cache of a test's own: kill it, start it again, read its whisper files. */
export interface PrivateCarbon extends AsyncDisposable {
  readonly port: number;
  /** SIGTERM, wait for exit. */
  stop(): Promise<void>;
  /** Start again on the same port and directory. */
  start(): Promise<void>;
  /** Points [ts, value] of `path` stored in its whisper file (non-null), from the last `seconds`. */
  fetch(path: string, seconds?: number): Promise<Array<[number, number]>>;
  output(): string;
}

export async function startPrivateCarbon(): Promise<PrivateCarbon> {
  const dir = mkdtempSync(join(tmpdir(), 'statskit-carbon-'));
  for (const d of ['whisper', 'log', 'lists']) mkdirSync(join(dir, d));
  const port = await freePort('tcp');
  const pickle = await freePort('tcp');
  const query = await freePort('tcp');
  const conf = join(dir, 'carbon.conf');
  writeFileSync(
    conf,
    `[cache]
STORAGE_DIR = ${dir}/
LOCAL_DATA_DIR = ${dir}/whisper/
WHITELISTS_DIR = ${dir}/lists/
LOG_DIR = ${dir}/log/
PID_DIR = ${dir}/
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = ${port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = ${pickle}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = ${query}
CACHE_WRITE_STRATEGY = sorted
LOG_LISTENER_CONNECTIONS = False
ENABLE_TAGS = False
`,
  );
  writeFileSync(join(dir, 'storage-schemas.conf'), '[all]\npattern = .*\nretentions = 1s:1h\n');
  writeFileSync(
    join(dir, 'storage-aggregation.conf'),
    '[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = last\n',
  );
  let out = '';
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const start = async (): Promise<void> => {
    const c = spawn('carbon-cache', [`--config=${conf}`, `--pidfile=${dir}/carbon.pid`, '--debug', 'start'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    c.stderr?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    exited = new Promise((resolve) => c.once('exit', () => resolve()));
    const until = Date.now() + 20_000;
    while (!(await canConnect('127.0.0.1', port, 500))) {
      if (c.exitCode !== null || Date.now() > until) {
        throw new Error(`private carbon-cache did not start on ${port}:\n${out.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const stop = async (): Promise<void> => {
    if (child !== undefined && child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    child = undefined;
  };

  await start();
  return {
    port,
    start,
    stop,
    output: () => out,
    async fetch(path, seconds = 600) {
      const file = join(dir, 'whisper', `${path.replaceAll('.', '/')}.wsp`);
      if (!existsSync(file)) return [];
      const from = Math.floor(Date.now() / 1000) - seconds;
      const { stdout } = await run('whisper-fetch', [`--from=${from}`, file]);
      const pts: Array<[number, number]> = [];
      for (const line of stdout.split('\n')) {
        const [ts, v] = line.split('\t');
        if (ts !== undefined && v !== undefined && v !== 'None') pts.push([Number(ts), Number(v)]);
      }
      return pts;
    },
    async [Symbol.asyncDispose]() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An etsy statsd daemon (npm `statsd`) whose Graphite backend writes to a real carbon. */
export interface CarbonStatsd {
  readonly udpPort: number;
  readonly mgmtPort: number;
  readonly pid: number | undefined;
  output(): string;
  /** SIGKILL (a crash: what it had not flushed is lost). */
  kill(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function spawnNode(
  script: string,
  config: object,
  ready: string,
): Promise<{ child: ChildProcess; output: () => string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'statskit-statsd-'));
  const file = join(dir, 'config.js');
  writeStatsdConfig(file, config);
  let out = '';
  const child = spawnStatsd(file, { script });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    const until = Date.now() + 15_000;
    const poll = (): void => {
      if (out.includes(ready)) resolve({ child, output: () => out, dir });
      else if (child.exitCode !== null || Date.now() > until) {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not start:\n${out}`));
      } else setTimeout(poll, 20);
    };
    poll();
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * Start the daemon: UDP on a free port, Graphite backend to carbon with `globalPrefix` (under the
 * 1-second retention), `legacyNamespace: false` (`<prefix>.counters.<name>.count`,
 * `<prefix>.timers.<name>.upper_90`), optional `globalSuffix` (tells the daemons of a cluster apart).
 */
export async function startCarbonStatsd(opts: {
  globalPrefix: string;
  globalSuffix?: string;
  flushInterval?: number;
  carbonPort?: number;
}): Promise<CarbonStatsd> {
  const udpPort = await freePort('udp');
  const mgmtPort = await freePort('tcp');
  const { child, output, dir } = await spawnNode(
    STATSD_MAIN,
    {
      mgmt_address: '127.0.0.1',
      mgmt_port: mgmtPort,
      servers: [{ server: './servers/udp', address: '127.0.0.1', port: udpPort }],
      flushInterval: opts.flushInterval ?? 1000,
      percentThreshold: [90],
      backends: ['./backends/graphite'],
      graphiteHost: CARBON_HOST,
      graphitePort: opts.carbonPort ?? CARBON_PORT,
      graphite: {
        legacyNamespace: false,
        globalPrefix: opts.globalPrefix,
        ...(opts.globalSuffix === undefined ? {} : { globalSuffix: opts.globalSuffix }),
      },
      deleteIdleStats: true,
      automaticConfigReload: false,
    },
    'server is up',
  );
  return {
    udpPort,
    mgmtPort,
    pid: child.pid,
    output,
    kill: () => killChild(child),
    async [Symbol.asyncDispose]() {
      await killChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The statsd cluster proxy (`proxy.js`): a consistent hashring over `nodes`, health-checked every `checkInterval` ms. */
export async function startStatsdProxy(
  nodes: readonly CarbonStatsd[],
  checkInterval = 500,
): Promise<{ udpPort: number; output(): string } & AsyncDisposable> {
  const udpPort = await freePort('udp');
  const mgmtPort = await freePort('tcp');
  const { child, output, dir } = await spawnNode(
    STATSD_PROXY,
    {
      nodes: nodes.map((n) => ({ host: '127.0.0.1', port: n.udpPort, adminport: n.mgmtPort })),
      server: './servers/udp',
      host: '127.0.0.1',
      port: udpPort,
      udp_version: 'udp4',
      mgmt_address: '127.0.0.1',
      mgmt_port: mgmtPort,
      forkCount: 0,
      checkInterval,
      cacheSize: 10000,
    },
    'server is up',
  );
  return {
    udpPort,
    output,
    async [Symbol.asyncDispose]() {
      await killChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
