/**
 * The real etsy statsd daemon (npm `statsd`, 0.9) as a child process on loopback, for interop tests.
 *
 * It listens on a free UDP port and a free TCP port (`servers/udp` + `servers/tcp`), flushes every
 * `flushInterval` ms with its built-in Graphite backend to a plaintext listener run here
 * (`path value timestamp\n`, one connection per flush), with `legacyNamespace: false`, so a counter `x`
 * arrives as `stats.counters.x.count`, a timer `t` as `stats.timers.t.upper_90`, a gauge as
 * `stats.gauges.g`, a set as `stats.sets.s.count`. `deleteIdleStats` is on: a flush only carries what
 * was received since the previous one. The daemon also counts its own `stats.counters.statsd.bad_lines_seen`.
 *
 * Nothing misread goes unnoticed: the daemon logs every line it cannot read (`Bad line: …`), and
 * `stop()` rejects when it logged any, unless the test said it sends bad lines on purpose
 * (`allowBadLines`). Every test that talks to the daemon stops it, so each asserts this.
 */
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// the repository's one daemon launcher (util.log supplied on Node 23+)
import { spawnStatsd, writeStatsdConfig } from '../../../../scripts/lib/statsd-daemon.mjs';

/** A port nothing listens on right now: bind port 0, read it, close. */
export async function freePort(type: 'tcp' | 'udp' = 'tcp'): Promise<number> {
  if (type === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    const { port } = s.address();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Poll `predicate` every 10 ms until it is true; reject with `what` after `timeoutMs`. */
export async function waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One flush as the Graphite backend wrote it: path → value. */
export type Flush = ReadonlyMap<string, number>;

export interface StatsdDaemon extends AsyncDisposable {
  readonly udpPort: number;
  readonly tcpPort: number;
  readonly flushInterval: number;
  /** Every flush received so far, oldest first. */
  readonly flushes: readonly Flush[];
  /** The daemon's stdout and stderr so far (for failure messages). */
  output(): string;
  /**
   * Resolve with the first flushed value of `path` that satisfies `predicate` (looking at flushes
   * already received, then new ones); reject after `timeoutMs`.
   */
  waitForValue(path: string, predicate?: (v: number) => boolean, timeoutMs?: number): Promise<number>;
  /** The sum of `path` over every flush received so far (counters split across flushes add up). */
  sum(path: string): number;
  /** Resolve right after the next flush arrives: the start of a fresh flush interval. */
  nextFlush(timeoutMs?: number): Promise<void>;
  /** How many lines the daemon could not read so far (it logs each as `Bad line: …`). */
  badLines(): number;
  /**
   * Kill the daemon and close the Graphite listener; rejects (after cleaning up) when the daemon logged
   * a bad line and `allowBadLines` was not set.
   */
  stop(): Promise<void>;
}

export interface StatsdDaemonOptions {
  /** ms between flushes. Default 250. */
  readonly flushInterval?: number;
  /** The test sends lines the daemon cannot read on purpose: `stop()` does not reject for them. */
  readonly allowBadLines?: boolean;
}

/** Start the daemon; resolves once its TCP port accepts connections. Call `stop()` (or dispose) after. */
export async function startStatsd(options: StatsdDaemonOptions = {}): Promise<StatsdDaemon> {
  // The ports are free when picked, but another process may take one before the daemon binds it: a
  // daemon that hit EADDRINUSE is started again on new ports (three tries).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startOnce(options: StatsdDaemonOptions): Promise<StatsdDaemon> {
  const flushInterval = options.flushInterval ?? 250;
  const flushes: Map<string, number>[] = [];
  const flushWaiters = new Set<() => void>();

  // Graphite plaintext: the backend opens one connection per flush and ends it.
  const graphite = net.createServer((sock) => {
    let buf = '';
    const flush = new Map<string, number>();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
    });
    sock.on('error', () => {});
    sock.on('end', () => {
      for (const line of buf.split('\n')) {
        if (line === '') continue;
        const [path, value] = line.split(' ');
        if (path !== undefined && value !== undefined) flush.set(path, Number(value));
      }
      flushes.push(flush);
      for (const w of flushWaiters) w();
    });
  });
  await new Promise<void>((resolve) => graphite.listen(0, '127.0.0.1', resolve));
  const graphitePort = (graphite.address() as net.AddressInfo).port;

  const udpPort = await freePort('udp');
  const tcpPort = await freePort('tcp');
  const mgmtPort = await freePort('tcp');
  const dir = mkdtempSync(join(tmpdir(), 'statskit-statsd-'));
  const configPath = join(dir, 'config.js');
  const config = {
    mgmt_address: '127.0.0.1',
    mgmt_port: mgmtPort,
    flushInterval,
    percentThreshold: [90],
    backends: ['./backends/graphite'],
    graphiteHost: '127.0.0.1',
    graphitePort,
    graphite: { legacyNamespace: false },
    deleteIdleStats: true,
    automaticConfigReload: false,
    servers: [
      { server: './servers/udp', address: '127.0.0.1', port: udpPort },
      { server: './servers/tcp', address: '127.0.0.1', port: tcpPort },
    ],
  };
  writeStatsdConfig(configPath, config);

  let out = '';
  const child: ChildProcess = spawnStatsd(configPath);
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const badLines = (): number => out.split('Bad line: ').length - 1;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGKILL');
    await exit;
    if (stopped) return;
    stopped = true;
    await new Promise<void>((resolve) => graphite.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
    if (badLines() > 0 && options.allowBadLines !== true) {
      const seen = out.split('\n').filter((l) => l.includes('Bad line: '));
      throw new Error(
        `the etsy statsd daemon could not read ${badLines()} line(s):\n${seen.slice(0, 10).join('\n')}`,
      );
    }
  };

  try {
    await waitUntil(() => out.includes('server is up') || exited, 10_000, 'the statsd daemon to start');
    if (exited) throw new Error(`the statsd daemon exited:\n${out}`);
    // 'server is up' is logged right after listen() was called: wait until the TCP port accepts.
    const until = Date.now() + 5000;
    while (!(await accepts(tcpPort))) {
      if (Date.now() > until) throw new Error(`the statsd TCP port never accepted:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // a UDP or management port taken meanwhile is reported just after 'server is up'
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (exited || out.includes('EADDRINUSE')) throw new Error(`the statsd daemon did not start:\n${out}`);
  } catch (err) {
    await stop();
    throw err;
  }

  function find(path: string, predicate: (v: number) => boolean): number | undefined {
    for (const f of flushes) {
      const v = f.get(path);
      if (v !== undefined && predicate(v)) return v;
    }
    return undefined;
  }

  return {
    udpPort,
    tcpPort,
    flushInterval,
    flushes,
    output: () => out,
    badLines,
    async waitForValue(path, predicate = () => true, timeoutMs = flushInterval * 8 + 2000) {
      const found = find(path, predicate);
      if (found !== undefined) return found;
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => {
          flushWaiters.delete(check);
          const seen = flushes.map((f) => f.get(path)).filter((v) => v !== undefined);
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${path}; values seen: ${JSON.stringify(seen)}\ndaemon output:\n${out}`,
            ),
          );
        }, timeoutMs);
        const check = (): void => {
          const v = find(path, predicate);
          if (v === undefined) return;
          clearTimeout(timer);
          flushWaiters.delete(check);
          resolve(v);
        };
        flushWaiters.add(check);
      });
    },
    sum(path) {
      let total = 0;
      for (const f of flushes) total += f.get(path) ?? 0;
      return total;
    },
    nextFlush(timeoutMs = flushInterval * 4 + 2000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          flushWaiters.delete(done);
          reject(new Error(`no flush within ${timeoutMs} ms\n${out}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          flushWaiters.delete(done);
          resolve();
        };
        flushWaiters.add(done);
      });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** Does something accept TCP connections on 127.0.0.1:port? (Connects and closes at once.) */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
