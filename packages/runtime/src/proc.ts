/**
 * Parsers for the Linux files the host collector reads. Pure: text in, numbers out, so they are tested
 * on fixed inputs as well as on the live files.
 */

/** One block device's cumulative counters from /proc/diskstats. */
export interface DiskCounters {
  readonly readBytes: number;
  readonly writeBytes: number;
  /** Milliseconds spent reading / writing (summed over requests). */
  readonly readTime: number;
  readonly writeTime: number;
}

/** Sectors in /proc/diskstats are always 512 bytes, whatever the device's own sector size. */
const SECTOR = 512;

/** Parse /proc/diskstats: device name → cumulative counters. */
export function parseDiskstats(text: string): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 14) continue;
    // major minor name reads merged sectors ms_reading writes merged sectors ms_writing ...
    out.set(f[2] as string, {
      readBytes: Number(f[5]) * SECTOR,
      readTime: Number(f[6]),
      writeBytes: Number(f[9]) * SECTOR,
      writeTime: Number(f[10]),
    });
  }
  return out;
}

/** One interface's cumulative counters from /proc/net/dev. */
export interface NetCounters {
  readonly bytesIn: number;
  readonly packetsIn: number;
  readonly errorsIn: number;
  readonly dropsIn: number;
  readonly bytesOut: number;
  readonly packetsOut: number;
  readonly errorsOut: number;
  readonly dropsOut: number;
}

/** Parse /proc/net/dev: interface name → cumulative counters. */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (name === '' || f.length < 16) continue;
    out.set(name, {
      bytesIn: f[0] as number,
      packetsIn: f[1] as number,
      errorsIn: f[2] as number,
      dropsIn: f[3] as number,
      bytesOut: f[8] as number,
      packetsOut: f[9] as number,
      errorsOut: f[10] as number,
      dropsOut: f[11] as number,
    });
  }
  return out;
}

/** Parse /proc/meminfo's `MemTotal` and `MemAvailable` (bytes); undefined when absent (old kernels). */
export function parseMeminfo(text: string): { total: number; available: number } | undefined {
  const total = /^MemTotal:\s+(\d+) kB/m.exec(text);
  const available = /^MemAvailable:\s+(\d+) kB/m.exec(text);
  if (total === null || available === null) return undefined;
  return { total: Number(total[1]) * 1024, available: Number(available[1]) * 1024 };
}

/** File systems that hold data (not proc, cgroup, overlay layers, ...). */
const PSEUDO = /^(?:loop|ram|zram)/;

/** Mount points of real block devices in /proc/self/mounts, without duplicates or loop devices. */
export function parseMounts(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const [dev, dir] = line.split(' ');
    if (dev === undefined || dir === undefined || !dev.startsWith('/dev/')) continue;
    if (PSEUDO.test(dev.slice(5))) continue;
    // \040 and friends: octal escapes of spaces, tabs, newlines, backslashes in paths
    const path = dir.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
    if (!out.includes(path)) out.push(path);
  }
  return out;
}

/** Whole disks worth reporting by default: the kernel's /sys/block entries without loop, ram and zram devices. */
export function defaultDisks(sysBlock: readonly string[]): string[] {
  return sysBlock.filter((d) => !PSEUDO.test(d));
}

const TWO_32 = 2 ** 32;

/**
 * Cumulative counters turned into per-interval deltas. The first reading of a key only sets the
 * baseline (no bogus delta); a 32-bit counter that wrapped is unwrapped; any other decrease (a reset,
 * a device re-created) sets a new baseline and reports nothing for that interval.
 */
export class CounterDeltas {
  readonly #prev = new Map<string, number>();

  delta(key: string, value: number): number | undefined {
    const prev = this.#prev.get(key);
    this.#prev.set(key, value);
    if (prev === undefined || !Number.isFinite(value)) return undefined;
    if (value >= prev) return value - prev;
    if (prev < TWO_32 && prev - value > TWO_32 / 2) return value + TWO_32 - prev;
    return undefined;
  }
}

/** A mount point as a name segment: `/` → `root`, `/var/lib` → `var_lib`. */
export function mountSegment(path: string): string {
  if (path === '/') return 'root';
  return path.replace(/^\/+|\/+$/g, '').replace(/[^A-Za-z0-9_-]+/g, '_');
}
