/**
 * In-process aggregation, the way Coda Hale's Metrics library reports: instead of one line per call, each
 * interval sends one line per (name, tags) — counters summed, gauges folded to their last value, sets
 * de-duplicated, and (optionally) timers summarised as count/min/max/mean/percentiles. A hot counter
 * incremented a million times a second costs one line a second on the wire, and the server sees the
 * same totals.
 */

import { formatNumber } from './protocol/number.js';
import { utf8Length } from './protocol/sanitize.js';

/** A name resolved by the client: prefix + name + suffix and its UTF-8 size. */
export interface AggregateKey {
  readonly key: string;
  readonly bytes: number;
}

/** Options of `aggregate`. */
export interface AggregateOptions {
  /** How often, in ms, aggregated values are sent. Default 1000. */
  readonly interval?: number | undefined;
  /**
   * Timers, histograms and distributions: `'raw'` (default) sends every sample as usual (the server
   * computes percentiles across hosts); `'summary'` sends `<name>.count|c` and `.min .max .mean .pNN|g`
   * computed here from a uniform reservoir.
   */
  readonly timers?: 'raw' | 'summary' | undefined;
  /** Percentiles for `timers: 'summary'`, in (0, 1). Default [0.5, 0.95, 0.99]. */
  readonly percentiles?: readonly number[] | undefined;
  /** Samples kept per timer per interval for percentiles (uniform reservoir). Default 1028. */
  readonly reservoirSize?: number | undefined;
  /**
   * Distinct (name, tags) entries held, to bound memory. Default 10 000. Past it, a call for a new key
   * is sent as a raw line at once (as with `aggregate: false`); with `timers: 'summary'` a new timer key
   * flushes everything early instead.
   */
  readonly maxKeys?: number | undefined;
  /**
   * With `timers: 'raw'`: the samples of one (name, tags, rate) are packed into one multi-value line
   * per interval (or as soon as the line would fill a packet) where the server reads them — DogStatsD
   * protocol 1.1 `name:1:2:3|ms|#tags`, etsy statsd `name:1|ms:2|ms:3|ms`; every sample still reaches
   * the server. Only with a known server: `server` or `tagFormat` given (neither: DogStatsD lines that
   * the etsy daemon also reads, one per sample); Telegraf gets one line per sample. Default true; false
   * sends one line per call.
   */
  readonly multiValue?: boolean | undefined;
}

export interface ResolvedAggregateOptions {
  readonly interval: number;
  readonly timers: 'raw' | 'summary';
  readonly percentiles: readonly number[];
  readonly reservoirSize: number;
  readonly maxKeys: number;
  readonly multiValue: boolean;
}

/**
 * How samples of one key share a line: `'dogstatsd'` (`name:1:2|ms`), `'etsy'` (`name:1|ms:2|ms`), or
 * undefined for one line per sample. From the server dialect.
 */
export type MultiValueForm = 'dogstatsd' | 'etsy' | undefined;

/** Writes one formatted line (or several joined lines that must share a packet). */
type Write = (line: string, bytes: number, lines: number, name: string) => void;

/**
 * Told about an aggregate that is not finite (a sum of finite values can overflow to ±Infinity): it is
 * not sent. `name` is the metric's key, `message` says which value overflowed.
 */
type Overflow = (name: string, message: string) => void;

/** A summary statistic rounded to the µs; values too large to have a fraction are left as they are. */
function round3(v: number): number {
  // v * 1000 itself overflows to Infinity above ~1.8e305: round only where a fraction can exist
  return v > -1e15 && v < 1e15 ? Math.round(v * 1000) / 1000 : v;
}

const KIND_COUNTER = 0;
const KIND_GAUGE = 1;
const KIND_SET = 2;
const KIND_TIMER = 3;
/** Raw samples packed into multi-value lines. */
const KIND_MULTI = 4;

interface Entry {
  readonly kind: number;
  readonly key: AggregateKey;
  /** Tag string as the client formatted it (leading separator included), and its bytes. */
  readonly tags: string;
  readonly tagBytes: number;
  /** Wire type for timers: '|ms', '|h' or '|d'. */
  readonly type: string;
  /** Counter sum; gauge absolute value (when `absolute`) */
  value: number;
  /** Gauge: an absolute value was set this interval; later deltas add to it. */
  absolute: boolean;
  /** Gauge deltas since the last absolute value (or since the interval began). */
  delta: number;
  members: Set<string> | undefined;
  /** Timer summary state. */
  count: number;
  sum: number;
  min: number;
  max: number;
  samples: number[] | undefined;
  /** Multi-value: the pieces so far (`:1`, or `:1|ms|@0.5` in the etsy form), their bytes, the rate suffix. */
  pieces: string;
  pieceBytes: number;
  rateStr: string;
}

function newEntry(kind: number, key: AggregateKey, tags: string, tagBytes: number, type: string): Entry {
  return {
    kind,
    key,
    tags,
    tagBytes,
    type,
    value: 0,
    absolute: false,
    delta: 0,
    members: undefined,
    count: 0,
    sum: 0,
    min: Number.POSITIVE_INFINITY,
    max: Number.NEGATIVE_INFINITY,
    samples: undefined,
    pieces: '',
    pieceBytes: 0,
    rateStr: '',
  };
}

/** `p` as a metric-name segment: 0.5 → p50, 0.999 → p999. */
function percentileName(p: number): string {
  return `p${String(p).slice(2).padEnd(2, '0')}`;
}

export class Aggregator {
  readonly #opts: ResolvedAggregateOptions;
  readonly #write: Write;
  readonly #tagsInName: boolean;
  readonly #random: () => number;
  readonly #overflow: Overflow;
  readonly #multi: MultiValueForm;
  /** Longest multi-value line, in bytes: a packet. */
  readonly #maxLine: number;
  /** Entries by resolved key object (identity), then by kind + tag string. */
  readonly #entries = new Map<AggregateKey, Map<string, Entry>>();
  readonly #percentileNames: readonly string[];
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  constructor(
    opts: ResolvedAggregateOptions,
    write: Write,
    tagsInName: boolean,
    random: () => number,
    overflow: Overflow,
    multi: MultiValueForm = undefined,
    maxLine = 1432,
  ) {
    this.#multi = opts.multiValue && opts.timers === 'raw' ? multi : undefined;
    this.#maxLine = maxLine;
    this.#opts = opts;
    this.#write = write;
    this.#tagsInName = tagsInName;
    this.#random = random;
    this.#overflow = overflow;
    this.#percentileNames = opts.percentiles.map(percentileName);
  }

  /**
   * Fold one call into its entry. Returns false for what is not aggregated (raw timers): the caller
   * then sends the line as usual. `value` is already validated; `rate` is the rate it was sampled at.
   */
  add(
    key: AggregateKey,
    tags: string,
    tagBytes: number,
    type: string,
    value: number | string,
    rate: number,
    delta: boolean,
  ): boolean {
    let kind: number;
    if (type === '|c') kind = KIND_COUNTER;
    else if (type === '|g') kind = KIND_GAUGE;
    else if (type === '|s') kind = KIND_SET;
    else if (this.#opts.timers === 'summary') kind = KIND_TIMER;
    else if (this.#multi !== undefined) kind = KIND_MULTI;
    else return false;
    let byTags = this.#entries.get(key);
    if (byTags === undefined) {
      // past the bound a new name allocates nothing: it goes out raw (summaries flush below)
      if (this.#size >= this.#opts.maxKeys && kind !== KIND_TIMER) return false;
      byTags = new Map();
      this.#entries.set(key, byTags);
    }
    // One map per name; entries of different kinds for one name are told apart by the type prefix.
    const slot = kind === KIND_COUNTER ? tags : kind === KIND_MULTI ? `${type}@${rate}${tags}` : type + tags;
    let e = byTags.get(slot);
    if (e === undefined) {
      if (this.#size >= this.#opts.maxKeys) {
        // Past the bound a new key costs what a raw line costs: the caller sends it as one (the keys
        // held stay until the interval). Summaries cannot go raw: they flush early instead.
        if (kind !== KIND_TIMER) return false;
        this.flush();
        return this.add(key, tags, tagBytes, type, value, rate, delta);
      }
      e = newEntry(kind, key, tags, tagBytes, type);
      if (rate !== 1) e.rateStr = `|@${rate}`;
      byTags.set(slot, e);
      this.#size++;
      if (this.#timer === undefined) {
        this.#timer = setTimeout(this.#onTimer, this.#opts.interval);
        this.#timer.unref();
      }
    }
    switch (kind) {
      case KIND_COUNTER:
        e.value += rate === 1 ? (value as number) : (value as number) / rate;
        break;
      case KIND_GAUGE:
        if (delta) e.delta += value as number;
        else {
          e.value = value as number;
          e.absolute = true;
          e.delta = 0;
        }
        break;
      case KIND_SET:
        if (e.members === undefined) e.members = new Set();
        e.members.add(typeof value === 'string' ? value : String(value));
        break;
      case KIND_MULTI:
        this.#piece(e, value as number);
        break;
      default:
        this.#sample(e, value as number);
    }
    return true;
  }

  /** Add one sample to a multi-value line; a line that would outgrow a packet is sent first. */
  #piece(e: Entry, v: number): void {
    const s = formatNumber(v);
    // dogstatsd: `:v`; etsy: `:v|ms|@r`
    const piece = this.#multi === 'dogstatsd' ? `:${s}` : `:${s}${e.type}${e.rateStr}`;
    const fixed =
      e.key.bytes + e.tagBytes + (this.#multi === 'dogstatsd' ? e.type.length + e.rateStr.length : 0);
    if (e.pieceBytes > 0 && fixed + e.pieceBytes + piece.length > this.#maxLine) this.#multiLine(e);
    e.pieces += piece;
    e.pieceBytes += piece.length;
  }

  /** Send an entry's multi-value line and empty it. */
  #multiLine(e: Entry): void {
    if (e.pieceBytes === 0) return;
    const { key, bytes } = e.key;
    const head = this.#tagsInName ? key + e.tags : key;
    const tail = this.#multi === 'dogstatsd' ? e.type + e.rateStr : '';
    const line = this.#tagsInName ? head + e.pieces + tail : head + e.pieces + tail + e.tags;
    this.#write(line, bytes + e.tagBytes + e.pieceBytes + tail.length, 1, key);
    e.pieces = '';
    e.pieceBytes = 0;
  }

  /** Send every entry and start a new interval. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#size === 0) return;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#size = 0;
    for (const byTags of entries) for (const e of byTags.values()) this.#emit(e);
  }

  /** Stop the timer (after a final flush by the caller). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #sample(e: Entry, v: number): void {
    e.count++;
    e.sum += v;
    if (v < e.min) e.min = v;
    if (v > e.max) e.max = v;
    if (e.samples === undefined) e.samples = [];
    const size = this.#opts.reservoirSize;
    if (e.samples.length < size) e.samples.push(v);
    else {
      // Vitter's algorithm R: every sample of the interval has the same chance to be kept.
      const j = Math.floor(this.#random() * e.count);
      if (j < size) e.samples[j] = v;
    }
  }

  /** One line; `valueBytes` defaults to the value's length (numbers are ASCII). */
  #line(
    key: string,
    keyBytes: number,
    e: Entry,
    value: string,
    type: string,
    valueBytes = value.length,
  ): void {
    const line = this.#tagsInName ? `${key}${e.tags}:${value}${type}` : `${key}:${value}${type}${e.tags}`;
    this.#write(line, keyBytes + e.tagBytes + 1 + valueBytes + type.length, 1, key);
  }

  #emit(e: Entry): void {
    const { key, bytes } = e.key;
    switch (e.kind) {
      case KIND_COUNTER:
        // x - x is 0 only for a finite x
        if (e.value - e.value !== 0) {
          this.#overflow(
            key,
            `statskit: aggregated counter ${key} overflowed (the interval's sum is ${e.value}); not sent`,
          );
        } else this.#line(key, bytes, e, `${e.value}`, '|c');
        return;
      case KIND_GAUGE: {
        if (!e.absolute) {
          if (e.delta - e.delta !== 0) {
            this.#overflow(
              key,
              `statskit: aggregated gauge ${key} overflowed (the interval's deltas sum to ${e.delta}); not sent`,
            );
          } else if (e.delta !== 0) {
            this.#line(key, bytes, e, e.delta > 0 ? `+${e.delta}` : `${e.delta}`, '|g');
          }
          return;
        }
        const v = e.value + e.delta;
        if (v - v !== 0) {
          this.#overflow(
            key,
            `statskit: aggregated gauge ${key} overflowed (${e.value} plus the deltas after it is ${v}); not sent`,
          );
          return;
        }
        if (v < 0) {
          // statsd reads a leading '-' as a delta: reset to 0 first, in the same packet.
          const zero = this.#tagsInName ? `${key}${e.tags}:0|g` : `${key}:0|g${e.tags}`;
          const neg = this.#tagsInName ? `${key}${e.tags}:${v}|g` : `${key}:${v}|g${e.tags}`;
          // `key:0|g` + '\n' + `key:-N|g`, tags on both
          this.#write(`${zero}\n${neg}`, 2 * (bytes + e.tagBytes) + 4 + 1 + 1 + `${v}`.length + 2, 2, key);
        } else this.#line(key, bytes, e, `${v}`, '|g');
        return;
      }
      case KIND_SET:
        for (const m of e.members ?? []) this.#line(key, bytes, e, m, '|s', utf8Length(m));
        return;
      case KIND_MULTI:
        this.#multiLine(e);
        return;
      default:
        this.#summary(e);
    }
  }

  #summary(e: Entry): void {
    const { key, bytes } = e.key;
    const samples = (e.samples ?? []).sort((a, b) => a - b);
    const stat = (suffix: string, value: number, type: string): void => {
      this.#line(`${key}.${suffix}`, bytes + 1 + suffix.length, e, `${round3(value)}`, type);
    };
    stat('count', e.count, '|c');
    stat('min', e.min, '|g');
    stat('max', e.max, '|g');
    // each sample is finite, their sum need not be
    if (e.sum - e.sum !== 0) {
      this.#overflow(
        `${key}.mean`,
        `statskit: aggregated ${key}.mean overflowed (the sum of ${e.count} samples is ${e.sum}); not sent`,
      );
    } else stat('mean', e.sum / e.count, '|g');
    const n = samples.length;
    for (let i = 0; i < this.#opts.percentiles.length; i++) {
      const p = this.#opts.percentiles[i] as number;
      // nearest-rank percentile over the reservoir
      const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
      stat(this.#percentileNames[i] as string, samples[rank] as number, '|g');
    }
  }
}
