import { ErrorCodes, InvalidOptionError, StatsError, type Tags } from '@statskit/client';
import { POLL_OPTION_KEYS, reportUnknownKeys } from './option-keys.js';
import { ClientGrid, checkInterval, MAX_TIMER_MS } from './schedule.js';
import {
  callbackError,
  closedClientError,
  Emitter,
  type ErrorHandler,
  type MetricSink,
  safeReport,
  warningHandler,
} from './sink.js';
import { resolveThresholds, type ThresholdHandler, type ThresholdOptions } from './threshold.js';

/**
 * Reads one value. Sync or async; `undefined` means "no reading this time" (nothing is sent). The
 * signal is aborted when the poll times out: pass it on (`fetch(url, { signal })`) so the work stops.
 */
export type PollFunction = (signal: AbortSignal) => number | undefined | PromiseLike<number | undefined>;

/** Options of {@link poll}. */
export interface PollOptions {
  /** Milliseconds between runs, on a fixed grid from the start. Default 10 000. */
  readonly interval?: number | undefined;
  /**
   * Milliseconds a run may take before it counts as timed out, at most 2^31−1 (about 24.8 days).
   * Default: the interval. `Infinity`: no timeout (a run that never settles stops the poll's runs).
   */
  readonly timeout?: number | undefined;
  /** Tags on the gauge and on the poll's own counters. */
  readonly tags?: Tags | undefined;
  /** Run once at start, then on the grid. Default true; `false` waits one interval. */
  readonly immediate?: boolean | undefined;
  /** Limits on the polled value; {@link ThresholdOptions}. */
  readonly thresholds?: ThresholdOptions | readonly ThresholdOptions[] | undefined;
  /** Called once per threshold state change (breach, recovery). */
  readonly onThreshold?: ThresholdHandler | undefined;
  /** Failures, timeouts and invalid values. Default: a `StatsKitWarning` per code at most every 10 s. */
  readonly onError?: ErrorHandler | undefined;
}

/** What a poll has done so far (also sent as counters). */
export interface PollStats {
  /** Runs started. */
  readonly runs: number;
  /** Grid ticks not run because the previous run was still going (or the event loop was blocked past them). */
  readonly skipped: number;
  /** Runs that threw, rejected, returned something other than a finite number, or timed out. */
  readonly errors: number;
  /** Runs that took longer than `timeout`. */
  readonly timeouts: number;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/** A timeout reason, given to the poll function's signal and as the reported error's cause. */
class PollTimeoutError extends Error {
  override name = 'TimeoutError';
}

/**
 * One polled gauge: `fn` runs on a drift-free grid, its value is sent as the gauge `name`. Never two
 * runs at once: a tick that finds the previous run still going is skipped and counted
 * (`<name>.poll.skipped`). Created by {@link poll}; stopped by `stop()` or by closing the client.
 */
export class Poller {
  /** The gauge's name, as given to `poll()`. */
  readonly name: string;
  /** Milliseconds between runs, on a fixed grid from the start. */
  readonly interval: number;
  /** Milliseconds a run may take before it is abandoned and reported; `Infinity` for no timeout. */
  readonly timeout: number;
  readonly #fn: PollFunction;
  readonly #tags: Tags | undefined;
  readonly #emit: Emitter;
  readonly #grid: ClientGrid;
  readonly #immediate: boolean;
  #running = false;
  #runs = 0;
  #skipped = 0;
  #errors = 0;
  #timeouts = 0;

  constructor(stats: MetricSink, name: string, fn: PollFunction, options: PollOptions = {}) {
    if (typeof name !== 'string' || name === '')
      throw new InvalidOptionError('statskit: poll() needs a metric name');
    if (typeof fn !== 'function') throw new InvalidOptionError('statskit: poll() needs a function');
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError('statskit: poll() options must be an object');
    }
    this.name = name;
    this.interval = checkInterval(options.interval, 10_000, `poll('${name}')`);
    const timeout = options.timeout ?? this.interval;
    if (
      typeof timeout !== 'number' ||
      !(timeout > 0) ||
      (timeout > MAX_TIMER_MS && timeout !== Number.POSITIVE_INFINITY)
    ) {
      throw new InvalidOptionError(
        `statskit: poll('${name}'): \`timeout\` must be a number of ms from 1 to ${MAX_TIMER_MS} (about 24.8 days, the longest Node timer), or Infinity for none, got ${String(timeout)}`,
      );
    }
    this.timeout = timeout;
    this.#fn = fn;
    this.#tags = options.tags;
    this.#immediate = options.immediate ?? true;
    const thresholds = new Map([[name, resolveThresholds(options.thresholds)]]);
    this.#emit = new Emitter(stats, '', thresholds, options.onThreshold, options.onError ?? warningHandler());
    this.#grid = new ClientGrid(this.interval, (_at, missed) => this.#tick(missed));
    reportUnknownKeys(options, POLL_OPTION_KEYS, `poll('${name}')`, this.#emit.onError);
  }

  /**
   * Start polling (done by {@link poll}). A no-op when running; on a closed client it stays inactive
   * and says so (`STATSKIT_ERR_CLOSED` to `onError`).
   */
  start(): this {
    if (this.#grid.running) return this;
    if (this.#emit.stats.closed) {
      safeReport(this.#emit.onError, closedClientError(`poll('${this.name}')`));
      return this;
    }
    if (!this.#grid.startFor(this.#emit.stats, () => this.stop())) return this;
    if (this.#immediate) this.#run();
    return this;
  }

  /** Stop: no more runs; a run in progress finishes but its value is not sent. Idempotent. */
  stop(): void {
    this.#grid.stop();
  }

  /** True between start() and stop(). */
  get active(): boolean {
    return this.#grid.running;
  }

  /** Counts so far. */
  stats(): PollStats {
    return { runs: this.#runs, skipped: this.#skipped, errors: this.#errors, timeouts: this.#timeouts };
  }

  #tick(missed: number): void {
    let skip = missed;
    if (this.#running) skip++;
    else this.#run();
    if (skip > 0) {
      this.#skipped += skip;
      this.#emit.count(`${this.name}.poll.skipped`, skip, this.#tags);
    }
  }

  #run(): void {
    this.#running = true;
    this.#runs++;
    const ac = new AbortController();
    let result: ReturnType<PollFunction>;
    try {
      result = this.#fn(ac.signal);
    } catch (err) {
      this.#running = false;
      this.#fail(callbackError(`poll('${this.name}')`, err));
      return;
    }
    if (!isThenable(result)) {
      this.#running = false;
      this.#value(result);
      return;
    }
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    if (this.timeout !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(() => {
        timedOut = true;
        this.#timedOut(ac);
      }, this.timeout);
      timer.unref();
    }
    result.then(
      (v) => {
        clearTimeout(timer);
        this.#running = false;
        if (!timedOut) this.#value(v);
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.#running = false;
        if (!timedOut) this.#fail(callbackError(`poll('${this.name}')`, err));
      },
    );
  }

  /** A run took longer than `timeout`: abort its signal, count and report it. */
  #timedOut(ac: AbortController): void {
    const reason = new PollTimeoutError(`poll('${this.name}') took longer than ${this.timeout} ms`);
    ac.abort(reason);
    if (!this.#grid.running) return;
    this.#timeouts++;
    this.#emit.count(`${this.name}.poll.timeouts`, 1, this.#tags);
    this.#fail(new StatsError(ErrorCodes.CALLBACK, `statskit: ${reason.message}`, { cause: reason }));
  }

  #value(v: unknown): void {
    if (!this.#grid.running || v === undefined || v === null) return;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.#fail(
        new StatsError(
          ErrorCodes.INVALID_VALUE,
          `statskit: poll('${this.name}') returned ${typeof v === 'number' ? String(v) : typeof v}, not a finite number`,
        ),
      );
      return;
    }
    this.#emit.gauge(this.name, v, this.#tags);
  }

  /** A failed run: counted and reported, unless the poll was stopped meanwhile (its outcome no longer matters). */
  #fail(err: StatsError): void {
    if (!this.#grid.running) return;
    this.#errors++;
    this.#emit.count(`${this.name}.poll.errors`, 1, this.#tags);
    safeReport(this.#emit.onError, err);
  }
}

/**
 * Poll `fn` every `interval` ms and send its value as the gauge `name`: a queue's length, a table's
 * row count. Drift-free (ticks stay on the grid however long `fn` takes), never two runs at once,
 * a timeout per run, unref'd timers, stopped by `stop()` or `stats.close()`.
 * @example
 * ```ts
 * import { poll } from '@statskit/runtime';
 * const queue = poll(stats, 'jobs.queue.length', () => redis.llen('jobs'), {
 *   interval: 5_000,
 *   thresholds: { above: 10_000, recover: 1_000 },
 *   onThreshold: (e) => logger.warn(e, `queue ${e.state}`),
 * });
 * // later: queue.stop() — or just stats.close()
 * ```
 */
export function poll(stats: MetricSink, name: string, fn: PollFunction, options?: PollOptions): Poller {
  return new Poller(stats, name, fn, options).start();
}
