import { InvalidOptionError } from '@statskit/client';
import type { OpStats } from './op-stats.js';

/**
 * Internal: connection-pool gauges (total / idle / waiting), sampled on an unref'd timer and at every
 * flush of the client when the reading changed (so `stats.flush()` and `stats.close()` send a fresh one). Sampling stops
 * when the instrumentation is undone, when the client closes (its last flush sends the final reading),
 * or when the pool has ended. Gauges are last-value-wins on every statsd server, so sampling more often
 * than the server flushes adds nothing: the default interval is statsd's default flush interval.
 */

/** Default ms between samples: the etsy daemon's default flush interval. */
export const DEFAULT_POOL_INTERVAL = 10_000;

/** One reading of a pool, or `undefined` once the pool has ended (sampling stops). */
export interface PoolReading {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/** Validate `poolInterval` (ms; `0` switches the gauges off). */
export function resolvePoolInterval(value: unknown, what: string): number {
  const interval = value ?? DEFAULT_POOL_INTERVAL;
  if (
    typeof interval !== 'number' ||
    !Number.isFinite(interval) ||
    interval < 0 ||
    interval > 2_147_483_647
  ) {
    throw new InvalidOptionError(`statskit: ${what}: \`poolInterval\` must be a number of ms >= 0`);
  }
  return interval;
}

/** A non-negative integer, or undefined. */
function count(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
}

/** A reading from three counts, or undefined when any is not a count. */
export function reading(total: unknown, idle: unknown, waiting: unknown): PoolReading | undefined {
  const t = count(total);
  const i = count(idle);
  const w = count(waiting);
  return t === undefined || i === undefined || w === undefined
    ? undefined
    : { total: t, idle: i, waiting: w };
}

/** Samples one pool into one OpStats' gauges until stopped. */
export class PoolGauges {
  readonly #stats: OpStats;
  readonly #read: () => PoolReading | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #offFlush: (() => void) | undefined;
  #stopped = false;
  #last: PoolReading | undefined;

  constructor(stats: OpStats, read: () => PoolReading | undefined, interval: number) {
    this.#stats = stats;
    this.#read = read;
    const sample = (): void => this.sample();
    if (interval > 0) {
      this.#timer = setInterval(sample, interval);
      this.#timer.unref();
    }
    const client = stats.client;
    this.#offFlush = client.onFlush(() => {
      // Only a changed reading: the client also flushes at `beforeExit`, and a hook that always wrote
      // would give the loop new work and another `beforeExit`, again and again.
      this.sample(true);
      // close() runs the flush hooks, then marks the client closed: stop right after this last reading.
      queueMicrotask(() => {
        if (client.closed) this.stop();
      });
    });
  }

  /**
   * Send the pool's gauges now (nothing once stopped, the client closed or the pool ended; with
   * `ifChanged`, nothing when the reading is the one sent last).
   */
  sample(ifChanged = false): void {
    if (this.#stopped) return;
    if (this.#stats.client.closed || !this.#stats.enabled) {
      this.stop();
      return;
    }
    let r: PoolReading | undefined;
    try {
      r = this.#read();
    } catch {
      r = undefined;
    }
    if (r === undefined) {
      this.stop();
      return;
    }
    const last = this.#last;
    if (
      ifChanged &&
      last !== undefined &&
      last.total === r.total &&
      last.idle === r.idle &&
      last.waiting === r.waiting
    ) {
      return;
    }
    this.#last = r;
    this.#stats.pool(r.total, r.idle, r.waiting);
  }

  /** Stop sampling (idempotent). */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#offFlush?.();
    this.#offFlush = undefined;
  }
}
