import { InvalidOptionError } from '@statskit/client';
import type { MetricSink } from './sink.js';

/** Monotonic milliseconds (never jumps with the wall clock). */
export const now = (): number => performance.now();

/**
 * Calls `tick(at, missed)` on a fixed grid: `start + k * interval`. Each timeout is computed from the
 * grid, not from the end of the previous tick, so the series never drifts however long a tick takes.
 * When the event loop was blocked past one or more grid points, they are not replayed: the next tick
 * gets `missed` (how many grid points were passed over) and the grid stays where it was. The timer is
 * unref'd: it never keeps the process alive.
 */
export class GridTimer {
  readonly interval: number;
  readonly #tick: (at: number, missed: number) => void;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(interval: number, tick: (at: number, missed: number) => void) {
    this.interval = interval;
    this.#tick = tick;
  }

  /** Start the grid at `origin` (default: now). The first tick is at `origin + interval`. */
  start(origin = now()): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#next = origin + this.interval;
    this.#arm(now());
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  get running(): boolean {
    return !this.#stopped;
  }

  #arm(t: number): void {
    this.#timer = setTimeout(this.#fire, Math.max(0, this.#next - t));
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    if (this.#stopped) return;
    const t = now();
    // setTimeout may round down by a fraction of a millisecond: never tick before the grid point.
    if (t < this.#next - 0.5) {
      this.#arm(t);
      return;
    }
    const at = this.#next;
    // (a fire up to 0.5 ms early belongs to this grid point, never to the previous one)
    const missed = Math.max(0, Math.floor((t - at) / this.interval));
    this.#next = at + (missed + 1) * this.interval;
    this.#arm(t);
    this.#tick(at + missed * this.interval, missed);
  };
}

/**
 * A {@link GridTimer} that serves one client: it starts only while the client is open and stops when the
 * client closes (then `onClientClose` runs, once). What the collectors and polls share.
 */
export class ClientGrid extends GridTimer {
  #offClose: (() => void) | undefined;

  /**
   * Start on the grid from `origin` unless running or the client is closed; `onClientClose` runs when the
   * client closes first. Returns whether it started.
   */
  startFor(stats: MetricSink, onClientClose: () => void, origin = now()): boolean {
    if (this.running || stats.closed) return false;
    this.#offClose = stats.onClose(onClientClose);
    this.start(origin);
    return true;
  }

  /** Stop the grid and unregister from the client's close. Idempotent. */
  override stop(): void {
    super.stop();
    const off = this.#offClose;
    this.#offClose = undefined;
    off?.();
  }
}

/**
 * The longest delay a Node timer takes: past it Node fires after 1 ms instead (with a
 * `TimeoutOverflowWarning`), which would turn a long interval into a busy loop.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Validate an `interval` option (ms, a finite number >= `min`, at most {@link MAX_TIMER_MS}). */
export function checkInterval(value: unknown, fallback: number, what: string, min = 1): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > MAX_TIMER_MS) {
    throw new InvalidOptionError(
      `statskit: ${what}: \`interval\` must be a number of ms from ${min} to ${MAX_TIMER_MS} (about 24.8 days, the longest Node timer), got ${String(v)}`,
    );
  }
  return v;
}
