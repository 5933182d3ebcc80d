import type { MetricOptions, StatsClient } from '@statskit/client';

/**
 * Counters summed in process and sent as one line per name and interval: statsd sums counters anyway,
 * and a field increment costs nothing next to formatting a line. Used by the request recorder and the
 * HTTP-client instrumentation. Pending counts are sent whenever the client flushes or closes (and so
 * before the process exits), and at the latest `interval` ms after the first one.
 */

/** One counter: a name and the client it goes through. */
export class Counter {
  readonly name: string;
  readonly client: StatsClient;
  pending = 0;
  queued = false;

  constructor(client: StatsClient, name: string) {
    this.client = client;
    this.name = name;
  }
}

/** The counters with a pending count, and the timer that sends them. */
export class SummedCounters {
  readonly #interval: number;
  #dirty: Counter[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #flush = (): void => this.flush();

  /** `interval` 0 sends every count at once. Flushes with `client`. */
  constructor(client: StatsClient, interval: number) {
    this.#interval = interval;
    client.onFlush(this.#flush);
  }

  /**
   * Count one: summed until the next flush (or sent at once when the interval is 0, or with a call's
   * own tags, which a summed counter cannot carry).
   */
  count(c: Counter, opts?: MetricOptions): void {
    if (opts !== undefined) {
      c.client.incr(c.name, 1, opts);
      return;
    }
    if (this.#interval === 0) {
      c.client.incr(c.name);
      return;
    }
    this.#add(c);
  }

  /** {@link count} each of `list` (one request's status counters) in one call. */
  countAll(list: readonly Counter[], opts?: MetricOptions): void {
    if (opts !== undefined || this.#interval === 0) {
      for (let i = 0; i < list.length; i++) this.count(list[i] as Counter, opts);
      return;
    }
    for (let i = 0; i < list.length; i++) this.#add(list[i] as Counter);
  }

  /** One more count of `c`, sent with the others when the interval ends. */
  #add(c: Counter): void {
    c.pending++;
    if (c.queued) return;
    c.queued = true;
    this.#dirty.push(c);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#flush, this.#interval);
      this.#timer.unref();
    }
  }

  /** Send every pending count now. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    for (const c of dirty) {
      const n = c.pending;
      c.pending = 0;
      c.queued = false;
      if (n !== 0) c.client.incr(c.name, n);
    }
  }
}
