import { InvalidOptionError } from '@statskit/client';
import { unknownName } from './catalogue.js';
import { ClientGrid, checkInterval } from './schedule.js';
import {
  callbackError,
  closedClientError,
  Emitter,
  type ErrorHandler,
  type MetricSink,
  safeReport,
  warningHandler,
} from './sink.js';
import { resolveThresholdMap, type ThresholdHandler, type ThresholdMap } from './threshold.js';

/** How a `*` of a catalogue pattern reads in a suggestion. */
function placeholder(pattern: string): string {
  if (pattern.startsWith('disk.')) return '<mount>';
  if (pattern.startsWith('diskio.')) return '<device>';
  if (pattern.startsWith('net.')) return '<interface>';
  return '<name>';
}

/** How per-entity values (a GC kind, a mount, a device, an interface) are named. */
export type CollectorMode = 'names' | 'tags';

/** Options every collector takes. */
export interface CollectorOptions {
  /** Milliseconds between readings, on a drift-free grid. Default 10 000. */
  readonly interval?: number | undefined;
  /**
   * Prefix of the collector's names, joined with `.` (after the client's own prefix). Default
   * `'runtime'` / `'host'`; `''` for none.
   */
  readonly prefix?: string | undefined;
  /**
   * `'names'` (default): the entity is in the name (`host.disk.root.percent`). `'tags'`: one name,
   * the entity as a tag (`host.disk.percent` tagged `mount:/`), for tag-aware servers.
   */
  readonly mode?: CollectorMode | undefined;
  /** Limits by metric name relative to the prefix, e.g. `{ 'memory.percent': { above: 90, recover: 80 } }`. */
  readonly thresholds?: ThresholdMap | undefined;
  /** Called once per threshold state change (breach, recovery). */
  readonly onThreshold?: ThresholdHandler | undefined;
  /** Problems reading a source or in a callback. Default: a `StatsKitWarning` per code at most every 10 s. */
  readonly onError?: ErrorHandler | undefined;
}

/** The handle a collector returns. */
export interface CollectorHandle {
  /** Take a reading now and send it (the grid is unchanged). Resolves when it is sent. */
  collect(): Promise<void>;
  /** Stop the timer and release what the collector holds (histograms, observers). Idempotent. */
  stop(): void;
  /** True between start and stop(). */
  readonly active: boolean;
}

/**
 * The shape shared by the runtime and host collectors: a grid timer, one reading at a time, stopped by
 * `stop()` or when the client closes. Subclasses read their sources in `sample()`.
 */
export abstract class Collector implements CollectorHandle {
  /** Sends the readings (names, prefix, thresholds) through the client. */
  protected readonly emit: Emitter;
  /** `names` or `tags`, as the `mode` option said. */
  protected readonly mode: CollectorMode;
  /** Milliseconds between readings, on a fixed grid from the start. */
  readonly interval: number;
  readonly #grid: ClientGrid;
  readonly #what: string;
  #busy: Promise<void> | undefined;

  /**
   * `catalogue` lists what the collector sends in a mode (names relative to the prefix, `*` for one
   * segment): thresholds on other names are refused.
   */
  constructor(
    stats: MetricSink,
    options: CollectorOptions,
    defaultPrefix: string,
    what: string,
    catalogue: (mode: CollectorMode) => readonly string[],
  ) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidOptionError(`statskit: ${what}: options must be an object`);
    }
    this.#what = what;
    this.interval = checkInterval(options.interval, 10_000, what, 10);
    const prefix = options.prefix ?? defaultPrefix;
    if (typeof prefix !== 'string')
      throw new InvalidOptionError(`statskit: ${what}: \`prefix\` must be a string`);
    const mode = options.mode ?? 'names';
    if (mode !== 'names' && mode !== 'tags') {
      throw new InvalidOptionError(
        `statskit: ${what}: \`mode\` must be 'names' or 'tags', got ${String(mode)}`,
      );
    }
    this.mode = mode;
    const thresholds = resolveThresholdMap(options.thresholds);
    if (thresholds.size > 0) {
      const known = catalogue(mode);
      for (const name of thresholds.keys()) {
        const problem = unknownName(name, known, placeholder);
        if (problem === undefined) continue;
        const other = mode === 'names' ? 'tags' : 'names';
        const hint =
          unknownName(name, catalogue(other)) === undefined
            ? ` ('${name}' is sent in ${other} mode, with \`mode: '${other}'\`)`
            : '';
        throw new InvalidOptionError(`statskit: ${what}: thresholds (${mode} mode): ${problem}${hint}`);
      }
    }
    this.emit = new Emitter(
      stats,
      prefix,
      thresholds,
      options.onThreshold,
      options.onError ?? warningHandler(),
    );
    this.#grid = new ClientGrid(this.interval, () => {
      if (this.#busy === undefined) void this.collect();
    });
  }

  get active(): boolean {
    return this.#grid.running;
  }

  /** Take the baseline readings and start the grid. */
  start(): this {
    if (this.#grid.running) return this;
    if (this.emit.stats.closed) {
      safeReport(this.emit.onError, closedClientError(this.#what));
      return this;
    }
    this.baseline();
    this.#grid.startFor(this.emit.stats, () => this.stop());
    return this;
  }

  collect(): Promise<void> {
    if (!this.#grid.running) return Promise.resolve();
    if (this.#busy !== undefined) return this.#busy;
    const run = (async () => {
      try {
        await this.sample();
      } catch (err) {
        safeReport(this.emit.onError, callbackError(`${this.#what} reading`, err));
      } finally {
        this.#busy = undefined;
      }
    })();
    this.#busy = run;
    return run;
  }

  stop(): void {
    if (!this.#grid.running) return;
    this.#grid.stop();
    this.release();
  }

  /** Whether readings may still be sent (not stopped, client open). */
  protected get live(): boolean {
    return this.#grid.running && !this.emit.stats.closed;
  }

  /** Readings that later values are deltas against; called once at start. */
  protected abstract baseline(): void;
  /** Read the sources and send the values. */
  protected abstract sample(): Promise<void> | void;
  /** Release observers, histograms. */
  protected release(): void {}
}

/** Round to `digits` decimals, so a gauge does not carry 17 digits on the wire. */
export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
