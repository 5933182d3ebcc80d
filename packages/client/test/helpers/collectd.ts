/**
 * collectd's statsd plugin (Debian `collectd-core`, a C implementation of the statsd protocol) as a
 * child process on loopback, for interop tests. `.ci/services` installs it.
 *
 * Its own config in a temporary folder: the statsd plugin on a free UDP port (`TimerLower`,
 * `TimerUpper`, `TimerSum`, `TimerCount`, `TimerPercentile 90`, `CounterSum`), a read every second, and
 * the csv plugin writing every dispatched value to `<dir>/csv/statskit/statsd/<type>-<name>-<date>`
 * (`epoch,value` rows). collectd reports timers in seconds; this helper turns them back into ms.
 *
 * A timer, counter or set value arrives once per read interval; where a test's sends straddle two reads,
 * the totals here add the intervals up (count, sum), keep the extremes (upper, lower) and derive the
 * mean; a percentile is returned only when every sample fell in one interval (`nextRead()` before the
 * sends makes that so).
 *
 * Nothing misread goes unnoticed: collectd logs every line it cannot parse (`Unable to parse line`),
 * and `stop()` rejects when it logged any, unless `allowBadLines` was set.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitUntil } from './statsd-daemon.js';

const COLLECTD = '/usr/sbin/collectd';
const TYPES_DB = '/usr/share/collectd/types.db';

/** What collectd computed for one timer over every interval so far (ms). */
export interface CollectdTimer {
  readonly count: number;
  readonly sum: number;
  readonly mean: number;
  readonly upper: number;
  readonly lower: number;
  /** The 90th percentile, when all samples fell in one read interval; otherwise undefined. */
  readonly p90: number | undefined;
}

export interface Collectd extends AsyncDisposable {
  readonly port: number;
  /** Resolve right after collectd's next read (a fresh interval starts). */
  nextRead(timeoutMs?: number): Promise<void>;
  /** A counter's total over every interval (`CounterSum`), or undefined if it never arrived. */
  counter(name: string): number | undefined;
  /** A gauge's latest value, or undefined. */
  gauge(name: string): number | undefined;
  /** A set's distinct members, summed over intervals, or undefined. */
  set(name: string): number | undefined;
  /** A timer's statistics over every interval, or undefined if none arrived. */
  timer(name: string): CollectdTimer | undefined;
  /** The lines collectd could not parse so far (from its log). */
  badLines(): string[];
  /** collectd's log so far (for failure messages). */
  log(): string;
  /** Stop collectd; rejects (after cleaning up) when it logged a line it could not parse, unless allowed. */
  stop(): Promise<void>;
}

export interface CollectdOptions {
  /** The test sends lines collectd cannot parse on purpose: `stop()` does not reject for them. */
  readonly allowBadLines?: boolean;
}

/** Is collectd installed here? (`.ci/services` installs it.) */
export function hasCollectd(): boolean {
  return existsSync(COLLECTD) && existsSync(TYPES_DB);
}

/** Start collectd with the statsd plugin; resolves once it has read (and written) a first interval. */
export async function startCollectd(options: CollectdOptions = {}): Promise<Collectd> {
  // The UDP port is free when picked, but another process may bind it first: start again (three tries).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (attempt >= 3 || !/bind\(2\) failed|Address already in use/.test(String(err))) throw err;
    }
  }
}

async function startOnce(options: CollectdOptions): Promise<Collectd> {
  if (!hasCollectd()) {
    throw new Error(`${COLLECTD} is missing: run .ci/services (it installs collectd-core)`);
  }
  const port = await freePort('udp');
  const dir = mkdtempSync(join(tmpdir(), 'statskit-collectd-'));
  const csv = join(dir, 'csv', 'statskit', 'statsd');
  const logFile = join(dir, 'collectd.log');
  writeFileSync(
    join(dir, 'collectd.conf'),
    `Hostname "statskit"
FQDNLookup false
Interval 1
BaseDir "${dir}"
PIDFile "${dir}/collectd.pid"
TypesDB "${TYPES_DB}"
LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "${logFile}"
  Timestamp true
</Plugin>
LoadPlugin statsd
<Plugin statsd>
  Host "127.0.0.1"
  Port "${port}"
  TimerPercentile 90
  TimerLower true
  TimerUpper true
  TimerSum true
  TimerCount true
  CounterSum true
</Plugin>
LoadPlugin csv
<Plugin csv>
  DataDir "${dir}/csv"
  StoreRates false
</Plugin>
`,
  );
  let out = '';
  const child: ChildProcess = spawn(COLLECTD, ['-f', '-C', join(dir, 'collectd.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
  const log = (): string => `${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}${out}`;
  const badLines = (): string[] =>
    log()
      .split('\n')
      .filter((l) => l.includes('Unable to parse line'));

  /** Every row of `<type>-<name>-<date>` files, oldest first, without NaN rows. */
  const rows = (type: string, name: string): number[] => {
    if (!existsSync(csv)) return [];
    const head = `${type}-${name}-`;
    const files = readdirSync(csv)
      .filter((f) => f.startsWith(head) && /^\d{4}-\d{2}-\d{2}$/.test(f.slice(head.length)))
      .sort();
    const values: number[] = [];
    for (const f of files) {
      for (const line of readFileSync(join(csv, f), 'utf8').split('\n').slice(1)) {
        const v = Number(line.slice(line.indexOf(',') + 1));
        if (line !== '' && Number.isFinite(v)) values.push(v);
      }
    }
    return values;
  };
  /** One heartbeat gauge, dispatched at every read: its rows count the reads. */
  const HEARTBEAT = 'statskit_heartbeat';
  const reads = (): number => rows('gauge', HEARTBEAT).length;

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (!exited) child.kill('SIGTERM');
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (!exited) child.kill('SIGKILL');
    await exit;
    if (stopped) return;
    stopped = true;
    const bad = badLines();
    const text = log();
    rmSync(dir, { recursive: true, force: true });
    if (bad.length > 0 && options.allowBadLines !== true) {
      throw new Error(
        `collectd could not parse ${bad.length} line(s):\n${bad.slice(0, 10).join('\n')}\n${text}`,
      );
    }
  };

  const nextRead = async (timeoutMs = 5000): Promise<void> => {
    const n = reads();
    await waitUntil(() => reads() > n || exited, timeoutMs, `collectd's next read:\n${log()}`);
    if (exited) throw new Error(`collectd exited:\n${log()}`);
  };

  try {
    await waitUntil(
      () => log().includes('Listening on') || log().includes('bind(2) failed') || exited,
      10_000,
      'collectd to listen',
    );
    if (log().includes('bind(2) failed')) throw new Error(`collectd could not bind:\n${log()}`);
    if (exited) throw new Error(`collectd exited:\n${log()}`);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) =>
      sock.send(`${HEARTBEAT}:1|g`, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
    sock.close();
    await waitUntil(() => reads() > 0 || exited, 10_000, `collectd's first read:\n${log()}`);
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }

  const total = (values: number[]): number | undefined =>
    values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0);
  const ms = (s: number): number => Math.round(s * 1e9) / 1e6; // collectd's seconds, back in ms

  return {
    port,
    nextRead,
    counter: (name) => total(rows('count', name)),
    gauge: (name) => rows('gauge', name).at(-1),
    set: (name) => total(rows('objects', name)),
    timer(name) {
      const counts = rows('gauge', `${name}-count`);
      const count = total(counts);
      if (count === undefined || count === 0) return undefined;
      const sum = ms(total(rows('latency', `${name}-sum`)) ?? 0);
      const p90s = rows('latency', `${name}-percentile-90`);
      return {
        count,
        sum,
        mean: sum / count,
        upper: ms(Math.max(...rows('latency', `${name}-upper`))),
        lower: ms(Math.min(...rows('latency', `${name}-lower`))),
        p90:
          counts.filter((c) => c > 0).length === 1 && p90s.length === 1 ? ms(p90s[0] as number) : undefined,
      };
    },
    badLines,
    log,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
