import { readdirSync, readFileSync } from 'node:fs';
import { readFile, statfs } from 'node:fs/promises';
import os from 'node:os';
import { InvalidOptionError } from '@statskit/client';
import {
  Collector,
  type CollectorHandle,
  type CollectorMode,
  type CollectorOptions,
  round,
} from './collector.js';
import { HOST_OPTION_KEYS, reportUnknownKeys } from './option-keys.js';
import {
  CounterDeltas,
  defaultDisks,
  mountSegment,
  parseDiskstats,
  parseMeminfo,
  parseMounts,
  parseNetDev,
} from './proc.js';
import type { MetricSink } from './sink.js';

/** Options of {@link collectHostMetrics}. */
export interface HostMetricsOptions extends CollectorOptions {
  /** Mount points for disk space. Default: every mounted block device (Linux), else `['/']`; `false` for none. */
  readonly mounts?: readonly string[] | false | undefined;
  /** Block devices for disk I/O (`'sda'`, `'nvme0n1'`). Default: the whole disks in /sys/block without loop/ram/zram; `false` for none. */
  readonly disks?: readonly string[] | false | undefined;
  /** Network interfaces. Default: every interface in /proc/net/dev (`lo` included); `false` for none. */
  readonly interfaces?: readonly string[] | false | undefined;
}

function readTextSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined; // not Linux, or not mounted here: skip that source
  }
}

function list(v: unknown, what: string): readonly string[] | false | undefined {
  if (v === undefined || v === false) return v;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x !== '')) {
    throw new InvalidOptionError(
      `statskit: collectHostMetrics(): \`${what}\` must be an array of names or false`,
    );
  }
  return v;
}

interface CpuTotals {
  busy: number;
  user: number;
  system: number;
  total: number;
}

function cpuTotals(): CpuTotals {
  const t = { busy: 0, user: 0, system: 0, total: 0 };
  for (const c of os.cpus()) {
    const { user, nice, sys, idle, irq } = c.times;
    t.user += user + nice;
    t.system += sys + irq;
    t.total += user + nice + sys + idle + irq;
  }
  t.busy = t.user + t.system;
  return t;
}

const DISK_FIELDS = [
  ['readBytes', 'read_bytes'],
  ['writeBytes', 'write_bytes'],
  ['readTime', 'read_time'],
  ['writeTime', 'write_time'],
] as const;

const NET_FIELDS = [
  ['bytesIn', 'bytes_in'],
  ['bytesOut', 'bytes_out'],
  ['packetsIn', 'packets_in'],
  ['packetsOut', 'packets_out'],
  ['errorsIn', 'errors_in'],
  ['errorsOut', 'errors_out'],
  ['dropsIn', 'drops_in'],
  ['dropsOut', 'drops_out'],
] as const;

/** Every name the host collector sends (docs/metrics.md, "Host"), relative to its prefix; `*`: an entity. */
function hostCatalogue(mode: CollectorMode): string[] {
  const entity = mode === 'names' ? '*.' : '';
  return [
    'memory.total',
    'memory.used',
    'memory.free',
    'memory.percent',
    'cpu.percent',
    'cpu.user',
    'cpu.system',
    'load.1',
    'load.5',
    'load.15',
    ...['total', 'used', 'free', 'percent'].map((f) => `disk.${entity}${f}`),
    ...DISK_FIELDS.map(([, f]) => `diskio.${entity}${f}`),
    ...NET_FIELDS.map(([, f]) => `net.${entity}${f}`),
  ];
}

/** The machine's collector; see {@link collectHostMetrics}. */
export class HostCollector extends Collector {
  readonly #mountsOption: readonly string[] | false | undefined;
  readonly #disksOption: readonly string[] | false | undefined;
  readonly #ifacesOption: readonly string[] | false | undefined;
  readonly #deltas = new CounterDeltas();
  #cpu: CpuTotals | undefined;
  #mounts: readonly string[] = [];
  #disks: ReadonlySet<string> | undefined;
  /** A statfs still pending per mount (a hung network mount): that mount is skipped, not queued. */
  readonly #pendingStatfs = new Set<string>();

  constructor(stats: MetricSink, options: HostMetricsOptions = {}) {
    super(stats, options, 'host', 'collectHostMetrics()', hostCatalogue);
    reportUnknownKeys(options, HOST_OPTION_KEYS, 'collectHostMetrics()', this.emit.onError);
    this.#mountsOption = list(options.mounts, 'mounts');
    this.#disksOption = list(options.disks, 'disks');
    this.#ifacesOption = list(options.interfaces, 'interfaces');
  }

  /** Discovery and the first counters, synchronously (small in-memory /proc files, once): deltas count from start(). */
  protected baseline(): void {
    this.#cpu = cpuTotals();
    if (this.#mountsOption !== undefined) this.#mounts = this.#mountsOption || [];
    else {
      const found = parseMounts(readTextSync('/proc/self/mounts') ?? '');
      this.#mounts = found.length > 0 ? found : [os.platform() === 'win32' ? 'C:\\' : '/'];
    }
    if (this.#disksOption !== undefined) this.#disks = new Set(this.#disksOption || []);
    else {
      try {
        this.#disks = new Set(defaultDisks(readdirSync('/sys/block')));
      } catch {
        this.#disks = new Set();
      }
    }
    this.#counters(
      readTextSync('/proc/meminfo'),
      this.#disks.size > 0 ? readTextSync('/proc/diskstats') : undefined,
      this.#ifacesOption === false ? undefined : readTextSync('/proc/net/dev'),
    );
  }

  protected async sample(): Promise<void> {
    const texts = await Promise.all([
      readText('/proc/meminfo'),
      this.#disks !== undefined && this.#disks.size > 0 ? readText('/proc/diskstats') : undefined,
      this.#ifacesOption === false ? undefined : readText('/proc/net/dev'),
    ]);
    if (!this.live) return;
    this.#counters(...texts);
    this.#memory();
    this.#cpuPercent();
    if (os.platform() !== 'win32') {
      const [l1, l5, l15] = os.loadavg();
      this.emit.gauge('load.1', round(l1 ?? 0));
      this.emit.gauge('load.5', round(l5 ?? 0));
      this.emit.gauge('load.15', round(l15 ?? 0));
    }
    await this.#space();
  }

  #memory(): void {
    // MemAvailable (what can be allocated without swapping) where Linux has it; os.freemem() elsewhere.
    const info = this.#meminfo;
    const total = info?.total ?? os.totalmem();
    const free = info?.available ?? os.freemem();
    const used = total - free;
    this.emit.gauge('memory.total', total);
    this.emit.gauge('memory.used', used);
    this.emit.gauge('memory.free', free);
    if (total > 0) this.emit.gauge('memory.percent', round((used / total) * 100));
  }

  #meminfo: { total: number; available: number } | undefined;

  #cpuPercent(): void {
    const now = cpuTotals();
    const prev = this.#cpu;
    this.#cpu = now;
    if (prev === undefined) return;
    const total = now.total - prev.total;
    if (!(total > 0)) return;
    this.emit.gauge('cpu.percent', round(((now.busy - prev.busy) / total) * 100));
    this.emit.gauge('cpu.user', round(((now.user - prev.user) / total) * 100));
    this.emit.gauge('cpu.system', round(((now.system - prev.system) / total) * 100));
  }

  async #space(): Promise<void> {
    await Promise.all(
      this.#mounts.map(async (mount) => {
        if (this.#pendingStatfs.has(mount)) return;
        this.#pendingStatfs.add(mount);
        try {
          const s = await statfs(mount);
          if (!this.live) return;
          const total = s.blocks * s.bsize;
          const free = s.bavail * s.bsize; // available to unprivileged users, as df shows it
          const used = (s.blocks - s.bfree) * s.bsize;
          const [name, tags] =
            this.mode === 'names' ? [`disk.${mountSegment(mount)}.`, undefined] : ['disk.', { mount }];
          this.emit.gauge(`${name}total`, total, tags);
          this.emit.gauge(`${name}used`, used, tags);
          this.emit.gauge(`${name}free`, free, tags);
          if (used + free > 0) this.emit.gauge(`${name}percent`, round((used / (used + free)) * 100), tags);
        } catch {
          // unmounted since discovery, or not permitted: nothing to report for it
        } finally {
          this.#pendingStatfs.delete(mount);
        }
      }),
    );
  }

  /** Send the cumulative counters as deltas; the first reading of each only sets its baseline. */
  #counters(meminfo: string | undefined, diskstats: string | undefined, netdev: string | undefined): void {
    this.#meminfo = meminfo === undefined ? undefined : parseMeminfo(meminfo);
    if (diskstats !== undefined) {
      for (const [dev, c] of parseDiskstats(diskstats)) {
        if (this.#disks?.has(dev) !== true) continue;
        const [prefix, tags] =
          this.mode === 'names' ? [`diskio.${dev}.`, undefined] : ['diskio.', { device: dev }];
        for (const [field, name] of DISK_FIELDS) {
          const d = this.#deltas.delta(`d\u0000${dev}\u0000${field}`, c[field]);
          if (d !== undefined) this.emit.count(prefix + name, d, tags);
        }
      }
    }
    if (netdev !== undefined) {
      const only = this.#ifacesOption;
      for (const [iface, c] of parseNetDev(netdev)) {
        if (only !== undefined && only !== false && !only.includes(iface)) continue;
        const [prefix, tags] =
          this.mode === 'names'
            ? [`net.${iface.replace(/[^A-Za-z0-9_-]/g, '_')}.`, undefined]
            : ['net.', { interface: iface }];
        for (const [field, name] of NET_FIELDS) {
          const d = this.#deltas.delta(`n\u0000${iface}\u0000${field}`, c[field]);
          if (d !== undefined) this.emit.count(prefix + name, d, tags);
        }
      }
    }
  }
}

/**
 * Send the machine's gauges every `interval` ms (default 10 000): memory, CPU percent, load, disk
 * space per mount, disk I/O per device and network traffic per interface as per-interval deltas
 * (Linux: /proc; elsewhere what `os` offers). Names in docs/metrics.md ("Host"). Timers unref'd;
 * stopped by `stop()` or by closing the client.
 * @example
 * ```ts
 * import { collectHostMetrics } from '@statskit/runtime';
 * collectHostMetrics(stats, {
 *   thresholds: { 'disk.root.percent': { above: 90, recover: 85 } },
 *   onThreshold: (e) => logger.error(e, `disk ${e.state}`),
 * });
 * ```
 */
export function collectHostMetrics(stats: MetricSink, options?: HostMetricsOptions): CollectorHandle {
  return new HostCollector(stats, options ?? {}).start();
}
