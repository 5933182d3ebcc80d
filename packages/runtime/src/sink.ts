import { ErrorCodes, type StatsClient, StatsError, type Tags } from '@statskit/client';
import {
  type ResolvedThreshold,
  type ThresholdEvent,
  type ThresholdHandler,
  ThresholdState,
  tagRecord,
  text,
} from './threshold.js';

/**
 * What the collectors need from a client: its gauge and counter methods and its close hook, and (if
 * it has one) how often it sends its aggregates. A `StatsClient` (or a child) is one.
 */
export type MetricSink = Pick<StatsClient, 'gauge' | 'incr' | 'onClose' | 'closed'> &
  Partial<Pick<StatsClient, 'sendInterval'>>;

/** Where a collector's or a poll's problems go. Default: a `StatsKitWarning`, at most one per code every 10 s. */
export type ErrorHandler = (err: StatsError) => void;

/** The default error handler: one process warning per code every 10 s. */
export function warningHandler(): ErrorHandler {
  const last = new Map<string, number>();
  return (err) => {
    const t = Date.now();
    const prev = last.get(err.code);
    if (prev !== undefined && t - prev < 10_000) return;
    last.set(err.code, t);
    process.emitWarning(err.message, { type: 'StatsKitWarning', code: err.code });
  };
}

/** A user callback threw: report it as `STATSKIT_ERR_CALLBACK` with the throw as `cause`. */
export function callbackError(where: string, cause: unknown): StatsError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new StatsError(ErrorCodes.CALLBACK, `statskit: ${where} threw: ${why}`, { cause });
}

/** A collector or a poll started on a closed client: it would stay inactive without a word. */
export function closedClientError(what: string): StatsError {
  return new StatsError(
    ErrorCodes.CLOSED,
    `statskit: ${what} on a closed client: nothing will be collected (start it before close(), or on a new client)`,
  );
}

/** Call `onError` without ever letting it throw into a timer. */
export function safeReport(onError: ErrorHandler, err: StatsError): void {
  try {
    onError(err);
  } catch (thrown) {
    process.emitWarning(`statskit: onError threw: ${String(thrown)}`, {
      type: 'StatsKitWarning',
      code: ErrorCodes.CALLBACK,
    });
  }
}

/**
 * A series' identity from its tags: what the client writes them from (keys and values as strings),
 * never `JSON.stringify`, which throws on a BigInt or a cycle.
 */
function tagKey(tags: Tags): string {
  let key = '';
  if (Array.isArray(tags)) {
    for (const t of tags as readonly unknown[]) key += `${text(t)}\u0000`;
  } else if (tags instanceof Map) {
    for (const [k, v] of tags as ReadonlyMap<unknown, unknown>) key += `${text(k)}\u0001${text(v)}\u0000`;
  } else if (typeof tags === 'object' && tags !== null) {
    for (const k of Object.keys(tags)) {
      key += `${k}\u0001${text((tags as Record<string, unknown>)[k])}\u0000`;
    }
  }
  return key;
}

/**
 * Writes a collector's gauges and counters under its prefix, and checks the thresholds configured for
 * each name (by name relative to the prefix), keeping one state per series (name + tags).
 */
export class Emitter {
  readonly stats: MetricSink;
  readonly prefix: string;
  readonly #thresholds: ReadonlyMap<string, readonly ResolvedThreshold[]>;
  readonly #states = new Map<string, ThresholdState[]>();
  readonly #onThreshold: ThresholdHandler | undefined;
  readonly onError: ErrorHandler;

  constructor(
    stats: MetricSink,
    prefix: string,
    thresholds: ReadonlyMap<string, readonly ResolvedThreshold[]>,
    onThreshold: ThresholdHandler | undefined,
    onError: ErrorHandler,
  ) {
    this.stats = stats;
    this.prefix = prefix === '' ? '' : `${prefix}.`;
    this.#thresholds = thresholds;
    this.#onThreshold = onThreshold;
    this.onError = onError;
  }

  /**
   * Send a gauge `<prefix>.<name>` and check its thresholds against `reading` (default: the value
   * sent; a folded maximum sends the fold but checks the reading).
   */
  gauge(name: string, value: number, tags?: Tags, reading = value): void {
    if (!Number.isFinite(value)) return;
    const full = this.prefix + name;
    if (tags === undefined) this.stats.gauge(full, value);
    else this.stats.gauge(full, value, { tags });
    if (this.#thresholds.size > 0) this.#checkSafely(name, reading, tags);
  }

  /** Send a counter `<prefix>.<name>` (per-interval deltas) and check its thresholds. */
  count(name: string, value: number, tags?: Tags): void {
    if (!Number.isFinite(value)) return;
    const full = this.prefix + name;
    if (tags === undefined) this.stats.incr(full, value);
    else this.stats.incr(full, value, { tags });
    if (this.#thresholds.size > 0) this.#checkSafely(name, value, tags);
  }

  /** check(), where a throw (hostile tags) is reported instead of escaping into a timer or a promise. */
  #checkSafely(name: string, value: number, tags: Tags | undefined): void {
    try {
      this.check(name, value, tags);
    } catch (err) {
      safeReport(this.onError, callbackError(`the thresholds of ${name}`, err));
    }
  }

  /** Feed one sample of `name` (relative) to its thresholds. */
  check(name: string, value: number, tags: Tags | undefined): void {
    const list = this.#thresholds.get(name);
    if (list === undefined) return;
    const key = tags === undefined ? name : `${name}\u0000${tagKey(tags)}`;
    let states = this.#states.get(key);
    if (states === undefined) {
      states = list.map((t) => new ThresholdState(t));
      this.#states.set(key, states);
    }
    const at = performance.now();
    for (const s of states) {
      const change = s.update(value, at);
      if (change === undefined) continue;
      const full = this.prefix + name;
      if (tags === undefined) this.stats.incr(`${full}.threshold.${change}`);
      else this.stats.incr(`${full}.threshold.${change}`, 1, { tags });
      this.#emit(s.event(full, tagRecord(tags), value, change));
    }
  }

  #emit(event: ThresholdEvent): void {
    if (this.#onThreshold === undefined) return;
    try {
      this.#onThreshold(event);
    } catch (err) {
      safeReport(this.onError, callbackError('onThreshold', err));
    }
  }
}
