/**
 * In-process aggregation, the way Coda Hale's Metrics library reports: instead of one line per call, each
 * interval sends one line per (name, tags) — counters summed, gauges folded to their last value, sets
 * de-duplicated, timer samples packed into multi-value lines (or summarised as count/min/max/mean/
 * percentiles). A hot counter incremented a million times a second costs one line a second on the wire,
 * and the server sees the same totals.
 *
 * Values are held by the caller's own name string, per client (its prefix, suffix and tags): a call for
 * a name already held is one Map lookup, whatever the number of names, and the name is sanitized and
 * written only when the interval's line is.
 */

import type { Encoder } from './encoder.js';
import type { Names } from './names.js';
import { formatNumber, numberBytes } from './protocol/number.js';
import { utf8Length } from './protocol/sanitize.js';
import type { ResolvedTags } from './protocol/tags.js';

/** Options of `aggregate`. */
export interface AggregateOptions {
  /** How often, in ms, aggregated values are sent. Default 1000. */
  readonly interval?: number | undefined;
  /**
   * Timers, histograms and distributions: `'raw'` (default) sends every sample (packed into multi-value
   * lines where the server reads them; the server computes percentiles across hosts); `'summary'` sends
   * `<name>.count|c` and `.min .max .mean .pNN|g` computed here from a uniform reservoir.
   */
  readonly timers?: 'raw' | 'summary' | undefined;
  /** Percentiles for `timers: 'summary'`, in (0, 1). Default [0.5, 0.95, 0.99]. */
  readonly percentiles?: readonly number[] | undefined;
  /** Samples kept per timer per interval for percentiles (uniform reservoir). Default 1028. */
  readonly reservoirSize?: number | undefined;
  /**
   * Distinct (name, tags) entries held, to bound memory. Default 100 000 (about 15 MB at most). Past
   * it, a call for a new key is sent as a raw line at once (as with `aggregate: false`); with
   * `timers: 'summary'` a new timer key flushes everything early instead.
   */
  readonly maxKeys?: number | undefined;
  /**
   * With `timers: 'raw'`: the samples of one (name, tags, rate) are packed into one multi-value line
   * per interval (or as soon as the line would fill a packet) in the form the named `server` reads —
   * DogStatsD protocol 1.1 `name:1:2:3|ms|#tags` (`'dogstatsd'`, `'statsd_exporter'`), etsy
   * `name:1|ms:2|ms:3|ms` (`'etsy'`, `'telegraf'`); every sample still reaches the server. Default: on
   * when a server that reads one is named, off otherwise (no form is read by every server; collectd
   * reads none). `true` without such a server is an InvalidOptionError; false sends one line per call.
   */
  readonly multiValue?: boolean | undefined;
  /**
   * Distinct members held per set and interval, to bound memory. Default 100 000. Past it, a new member
   * of that set is sent at once as a raw line (as with `aggregate: false`: the server still counts it,
   * but it is no longer de-duplicated here), and `STATSKIT_ERR_TOO_MANY_MEMBERS` is reported once per
   * set and interval.
   */
  readonly maxSetMembers?: number | undefined;
}

export interface ResolvedAggregateOptions {
  readonly interval: number;
  readonly timers: 'raw' | 'summary';
  readonly percentiles: readonly number[];
  readonly reservoirSize: number;
  readonly maxKeys: number;
  readonly multiValue: boolean;
  readonly maxSetMembers: number;
}

/**
 * How samples of one key share a line: `'dogstatsd'` (`name:1:2|ms`), `'etsy'` (`name:1|ms:2|ms`), or
 * undefined for one line per sample. From the server dialect.
 */
export type MultiValueForm = 'dogstatsd' | 'etsy' | undefined;

/**
 * Told about an aggregate that is not finite (a sum of finite values can overflow to ±Infinity): it is
 * not sent. `name` is the metric's name, `message` says which value overflowed.
 */
type Overflow = (name: string, message: string) => void;

/** Longest stretch of a scheduled flush before it yields to the event loop. */
const SLICE_MS = 4;
/** Lines written between two looks at the clock. */
const CHECK_EVERY = 64;

/** A summary statistic rounded to the µs; values too large to have a fraction are left as they are. */
function round3(v: number): number {
  // v * 1000 itself overflows to Infinity above ~1.8e305: round only where a fraction can exist
  return v > -1e15 && v < 1e15 ? Math.round(v * 1000) / 1000 : v;
}

export const KIND_COUNTER = 0;
export const KIND_GAUGE = 1;
const KIND_SET = 2;
const KIND_SUMMARY = 3;
/** Raw samples packed into multi-value lines. */
export const KIND_MULTI = 4;

/**
 * One (name, kind, type, tags, rate) held this interval. The entries of one name form a chain (`next`)
 * in the order they were first seen, so a flush writes a name's lines together. One class per kind, each
 * with only the fields it needs: a service with 100 000 names holds 100 000 of them.
 */
abstract class HeldEntry {
  abstract readonly kind: number;
  /** Created with the client's own tags (no per-call tags) and rate 1: what the fast paths take. */
  readonly plain: boolean;
  /** Tag string as the client formatted it (leading separator included), and its bytes. */
  readonly tags: string;
  readonly tagBytes: number;
  /** The wire type: '|c', '|g', '|s', '|ms', '|h' or '|d'. */
  readonly type: string;
  next: Entry | undefined = undefined;

  constructor(plain: boolean, tags: string, tagBytes: number, type: string) {
    this.plain = plain;
    this.tags = tags;
    this.tagBytes = tagBytes;
    this.type = type;
  }
}

/** A counter: the interval's sum, sampled calls weighted by 1/rate. */
export class Count extends HeldEntry {
  readonly kind = KIND_COUNTER;
  value = 0;
}

/** A gauge: the last value set this interval, and the deltas since (or only deltas). */
export class Level extends HeldEntry {
  readonly kind = KIND_GAUGE;
  value = 0;
  /** An absolute value was set this interval; later deltas add to it. */
  absolute = false;
  delta = 0;
}

/** A set: the interval's distinct members. */
class Members extends HeldEntry {
  readonly kind = KIND_SET;
  readonly members = new Set<string>();
  /** A member past `maxSetMembers` was sent raw this interval (reported once). */
  overflowed = false;
}

/** Timer samples packed into one multi-value line: `1:2` (DogStatsD) or `1|ms:2|ms` (etsy). */
export class Samples extends HeldEntry {
  readonly kind = KIND_MULTI;
  /** The rate suffix (`|@0.5`, or ''). */
  readonly rate: string;
  /** What follows each value (the etsy form's `|ms|@0.5`; '' for DogStatsD). */
  readonly suffix: string;
  /** What follows the last value, once (DogStatsD's `|ms|@0.5`; '' for the etsy form). */
  readonly tail: string;
  /**
   * The samples so far: `values[0..count)`, as numbers (written as digits straight into the packet),
   * and their bytes. The array is reused for the entry's next line (its capacity kept: no regrowth).
   */
  values: number[] = [];
  count = 0;
  bytes = 0;
  /** Bytes of the rest of the line (name, tags, and the type and rate in the DogStatsD form). */
  fixed = 0;

  constructor(
    plain: boolean,
    tags: string,
    tagBytes: number,
    type: string,
    rate: string,
    dogstatsd: boolean,
  ) {
    super(plain, tags, tagBytes, type);
    this.rate = rate;
    this.suffix = dogstatsd ? '' : type + rate;
    this.tail = dogstatsd ? type + rate : '';
  }
}

/** Timer samples summarised here (`timers: 'summary'`): count/min/max/mean and a reservoir. */
class Summary extends HeldEntry {
  readonly kind = KIND_SUMMARY;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  readonly samples: number[] = [];
}

export type Entry = Count | Level | Members | Samples | Summary;

/**
 * What one client (its names and tags) holds this interval, by the caller's name. The client keeps a
 * reference for its fast paths; the aggregator lists it while it holds anything.
 */
export class Held {
  readonly names: Names;
  readonly tags: ResolvedTags;
  /** Replaced (not cleared) at each flush: the flush walks the old one. */
  entries = new Map<string, Entry>();
  /** Listed by the aggregator (it holds entries). */
  live = false;

  constructor(names: Names, tags: ResolvedTags) {
    this.names = names;
    this.tags = tags;
  }
}

/** `p` as a metric-name segment: 0.5 → .p50, 0.999 → .p999. */
function percentileName(p: number): string {
  return `.p${String(p).slice(2).padEnd(2, '0')}`;
}

export class Aggregator {
  readonly #opts: ResolvedAggregateOptions;
  readonly #encoder: Encoder;
  readonly #random: () => number;
  readonly #overflow: Overflow;
  readonly #multi: MultiValueForm;
  /** Longest multi-value line, in bytes: a packet. */
  readonly #maxLine: number;
  readonly #percentileNames: readonly string[];
  /** The clients' holdings with entries this interval. */
  #live: Held[] = [];
  #size = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush(true);
  };
  /** Told once per set and interval that members past `maxSetMembers` go out raw. */
  readonly #tooManyMembers: Overflow;
  /**
   * Detached intervals still to be written, one (holding, entries) per client, in order; a scheduled
   * flush writes them in slices of {@link SLICE_MS} ms. The write in progress: the holding, the names
   * left in its map, the current name, the next entry of its chain, and the members left of a set.
   */
  readonly #queue: (readonly [Held, Map<string, Entry>])[] = [];
  #queueHead = 0;
  #held: Held | undefined;
  #names: Iterator<[string, Entry]> | undefined;
  #name = '';
  #next: Entry | undefined;
  #members: Iterator<string> | undefined;
  #set: Members | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #writing = false;
  /** A synchronous flush() came while a slice was being written: the slice writes everything. */
  #finishNow = false;
  readonly #onImmediate = (): void => {
    this.#immediate = undefined;
    this.#write(true);
  };

  constructor(
    opts: ResolvedAggregateOptions,
    encoder: Encoder,
    random: () => number,
    overflow: Overflow,
    multi: MultiValueForm = undefined,
    maxLine = 1432,
    tooManyMembers: Overflow = () => {},
  ) {
    this.#tooManyMembers = tooManyMembers;
    this.#multi = opts.multiValue && opts.timers === 'raw' ? multi : undefined;
    this.#maxLine = maxLine;
    this.#opts = opts;
    this.#encoder = encoder;
    this.#random = random;
    this.#overflow = overflow;
    this.#percentileNames = opts.percentiles.map(percentileName);
  }

  /** True when timer samples are packed into multi-value lines. */
  get multiValue(): boolean {
    return this.#multi !== undefined;
  }

  /**
   * Fold one call into its entry. Returns false for what is not aggregated (raw timers, a new key past
   * `maxKeys`): the caller then sends the line as usual. `name` is a non-empty string, `value` is
   * already validated; `rate` is the rate it was sampled at.
   */
  add(
    held: Held,
    name: string,
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
    else if (this.#opts.timers === 'summary') kind = KIND_SUMMARY;
    else if (this.#multi !== undefined) kind = KIND_MULTI;
    else return false;
    // counters are summed as value / rate, gauges and sets ignore it: only samples keep their rate
    const rateStr = kind === KIND_MULTI && rate !== 1 ? `|@${rate}` : '';
    const head = held.entries.get(name);
    let e = head;
    let last = head;
    while (
      e !== undefined &&
      !(
        e.kind === kind &&
        e.type === type &&
        e.tags === tags &&
        (kind !== KIND_MULTI || (e as Samples).rate === rateStr)
      )
    ) {
      last = e;
      e = e.next;
    }
    if (e === undefined) {
      if (this.#size >= this.#opts.maxKeys) {
        // Past the bound a new key costs what a raw line costs: the caller sends it as one (the keys
        // held stay until the interval). Summaries cannot go raw: they flush early instead.
        if (kind !== KIND_SUMMARY) return false;
        this.flush();
        return this.add(held, name, tags, tagBytes, type, value, rate, delta);
      }
      const plain = tags === held.tags.str && rateStr === '';
      e = this.#create(held, name, kind, plain, tags, tagBytes, type, rateStr);
      if (last === undefined) held.entries.set(name, e);
      else last.next = e;
    }
    switch (e.kind) {
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
      case KIND_SET: {
        const m = typeof value === 'string' ? value : String(value);
        if (e.members.size >= this.#opts.maxSetMembers && !e.members.has(m)) {
          // memory stays bounded; the member still reaches the server, as a line of its own
          if (!e.overflowed) {
            e.overflowed = true;
            const key = this.#shown(held, name);
            this.#tooManyMembers(
              key,
              `statskit: aggregated set ${key} has ${e.members.size} distinct members this interval (aggregate.maxSetMembers); further members are sent as raw lines, not de-duplicated`,
            );
          }
          return false;
        }
        e.members.add(m);
        break;
      }
      case KIND_MULTI:
        this.sample(held, name, e, value as number);
        break;
      default:
        this.#summarise(e, value as number);
    }
    return true;
  }

  #create(
    held: Held,
    name: string,
    kind: number,
    plain: boolean,
    tags: string,
    tagBytes: number,
    type: string,
    rate: string,
  ): Entry {
    let e: Entry;
    if (kind === KIND_COUNTER) e = new Count(plain, tags, tagBytes, type);
    else if (kind === KIND_GAUGE) e = new Level(plain, tags, tagBytes, type);
    else if (kind === KIND_SET) e = new Members(plain, tags, tagBytes, type);
    else if (kind === KIND_SUMMARY) e = new Summary(plain, tags, tagBytes, type);
    else {
      const s = new Samples(plain, tags, tagBytes, type, rate, this.#multi === 'dogstatsd');
      s.fixed = held.names.bytesOf(name) + tagBytes + 1 + s.tail.length;
      e = s;
    }
    this.#size++;
    if (!held.live) {
      held.live = true;
      this.#live.push(held);
    }
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#opts.interval);
      this.#timer.unref();
    }
    return e;
  }

  /**
   * A counter for a name nothing is held for yet, with the client's own tags and rate 1 (the fast path
   * of a call without options). False past `maxKeys`: the caller sends it raw.
   */
  newCount(held: Held, name: string, value: number): boolean {
    if (this.#size >= this.#opts.maxKeys) return false;
    const tags = held.tags;
    const e = this.#create(held, name, KIND_COUNTER, true, tags.str, tags.bytes, '|c', '') as Count;
    e.value = value;
    held.entries.set(name, e);
    return true;
  }

  /** Add one sample to a multi-value line; a line that would outgrow a packet is sent first. */
  sample(held: Held, name: string, e: Samples, v: number): void {
    // dogstatsd: `1:2`; etsy: `1|ms:2|ms` (each piece typed, and rated)
    const piece = numberBytes(v) + e.suffix.length;
    if (e.bytes > 0 && e.fixed + e.bytes + 1 + piece > this.#maxLine) this.#multiLine(held, name, e);
    e.bytes += e.bytes === 0 ? piece : 1 + piece;
    e.values[e.count++] = v;
  }

  /** Send an entry's multi-value line and empty it. */
  #multiLine(held: Held, name: string, e: Samples): void {
    const values = e.values;
    const count = e.count;
    const bytes = e.bytes;
    if (bytes === 0) return;
    // emptied first: a sample timed from onError while the line is written starts the next line
    e.values = [];
    e.count = 0;
    e.bytes = 0;
    this.#encoder.samples(held.names, name, values, count, bytes, e.suffix, e.tail, e.tags, e.tagBytes);
    // not re-entered: the next line of this entry fills the same array
    if (e.count === 0) e.values = values;
  }

  /**
   * Send every entry and start a new interval. Synchronous (flush(), close(), process exit): everything
   * held, and what a sliced flush has not written yet, is written before it returns. From the interval
   * timer (`slice`): written in slices of a few ms, yielding to the event loop between them, so a set
   * of a million members never blocks the loop in one tick; a synchronous flush takes over the rest.
   */
  flush(slice = false): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#size > 0) {
      const live = this.#live;
      this.#live = [];
      this.#size = 0;
      // Every client's entries are detached before any is written: a metric sent from onError during
      // the writes starts the next interval (or, in close(), is dropped as closed) instead of reaching a
      // client's entry not written yet through the fast paths, which do not check `closed`.
      for (const held of live) {
        held.live = false;
        this.#queue.push([held, held.entries]);
        held.entries = new Map();
      }
    }
    if (this.#writing) {
      // called from inside a write (onError → flush()): that write finishes everything, unsliced
      if (!slice) this.#finishNow = true;
      return;
    }
    this.#write(slice);
  }

  /** Write the queued intervals; with `slice`, yield to the event loop after {@link SLICE_MS}. */
  #write(slice: boolean): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    this.#writing = true;
    this.#finishNow = false;
    try {
      const deadline = slice ? performance.now() + SLICE_MS : Number.POSITIVE_INFINITY;
      let n = 0;
      for (;;) {
        if (++n % CHECK_EVERY === 0 && !this.#finishNow && performance.now() > deadline) {
          this.#immediate = setImmediate(this.#onImmediate);
          this.#immediate.unref();
          return;
        }
        const held = this.#held as Held;
        const members = this.#members;
        if (members !== undefined) {
          const r = members.next();
          if (r.done !== true) {
            this.#line(held, this.#name, this.#set as Members, '', r.value, '|s', utf8Length(r.value));
            continue;
          }
          this.#members = undefined;
          this.#set = undefined;
        }
        const e = this.#next;
        if (e !== undefined) {
          this.#next = e.next;
          if (e.kind === KIND_SET) {
            this.#set = e;
            this.#members = e.members.values();
          } else this.#emit(held, this.#name, e);
          continue;
        }
        const names = this.#names;
        if (names !== undefined) {
          const r = names.next();
          if (r.done !== true) {
            this.#name = r.value[0];
            this.#next = r.value[1];
            continue;
          }
          this.#names = undefined;
        }
        const job = this.#queue[this.#queueHead];
        if (job === undefined) break;
        this.#queueHead++;
        this.#held = job[0];
        this.#names = job[1].entries();
      }
      this.#queue.length = 0;
      this.#queueHead = 0;
      this.#held = undefined;
    } finally {
      this.#writing = false;
    }
  }

  /** Stop the timer (after a final flush by the caller). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
  }

  #summarise(s: Summary, v: number): void {
    s.count++;
    s.sum += v;
    if (v < s.min) s.min = v;
    if (v > s.max) s.max = v;
    const size = this.#opts.reservoirSize;
    if (s.samples.length < size) s.samples.push(v);
    else {
      // Vitter's algorithm R: every sample of the interval has the same chance to be kept.
      const j = Math.floor(this.#random() * s.count);
      if (j < size) s.samples[j] = v;
    }
  }

  /** One line of an entry: `<name><stat>:<value><type>` with the entry's tags. */
  #line(
    held: Held,
    name: string,
    e: Entry,
    stat: string,
    value: string,
    type: string,
    bytes = value.length,
  ): void {
    this.#encoder.line(held.names, name, undefined, stat, value, bytes, type, '', '', e.tags, e.tagBytes);
  }

  /** The name as messages show it: with the client's prefix and suffix. */
  #shown(held: Held, name: string): string {
    return held.names.prefix + name + held.names.suffix;
  }

  #emit(held: Held, name: string, e: Entry): void {
    switch (e.kind) {
      case KIND_COUNTER:
        // x - x is 0 only for a finite x
        if (e.value - e.value !== 0) {
          const key = this.#shown(held, name);
          this.#overflow(
            key,
            `statskit: aggregated counter ${key} overflowed (the interval's sum is ${e.value}); not sent`,
          );
        } else this.#line(held, name, e, '', formatNumber(e.value), '|c');
        return;
      case KIND_GAUGE: {
        if (!e.absolute) {
          if (e.delta - e.delta !== 0) {
            const key = this.#shown(held, name);
            this.#overflow(
              key,
              `statskit: aggregated gauge ${key} overflowed (the interval's deltas sum to ${e.delta}); not sent`,
            );
          } else if (e.delta !== 0) {
            const d = formatNumber(e.delta);
            this.#line(held, name, e, '', e.delta > 0 ? `+${d}` : d, '|g');
          }
          return;
        }
        const v = e.value + e.delta;
        if (v - v !== 0) {
          const key = this.#shown(held, name);
          this.#overflow(
            key,
            `statskit: aggregated gauge ${key} overflowed (${e.value} plus the deltas after it is ${v}); not sent`,
          );
        } else if (v < 0) {
          this.#encoder.negativeGauge(
            held.names,
            name,
            undefined,
            formatNumber(v),
            '',
            '',
            e.tags,
            e.tagBytes,
          );
        } else this.#line(held, name, e, '', formatNumber(v), '|g');
        return;
      }
      case KIND_SET:
        // written member by member by #write(), which can yield between them
        return;
      case KIND_MULTI:
        this.#multiLine(held, name, e);
        return;
      default:
        this.#summary(held, name, e);
    }
  }

  #summary(held: Held, name: string, s: Summary): void {
    const e = s;
    const samples = s.samples.sort((a, b) => a - b);
    this.#line(held, name, e, '.count', formatNumber(s.count), '|c');
    this.#line(held, name, e, '.min', formatNumber(round3(s.min)), '|g');
    this.#line(held, name, e, '.max', formatNumber(round3(s.max)), '|g');
    // each sample is finite, their sum need not be
    if (s.sum - s.sum !== 0) {
      const key = `${this.#shown(held, name)}.mean`;
      this.#overflow(
        key,
        `statskit: aggregated ${key} overflowed (the sum of ${s.count} samples is ${s.sum}); not sent`,
      );
    } else this.#line(held, name, e, '.mean', formatNumber(round3(s.sum / s.count)), '|g');
    const n = samples.length;
    for (let i = 0; i < this.#opts.percentiles.length; i++) {
      const p = this.#opts.percentiles[i] as number;
      // nearest-rank percentile over the reservoir
      const rank = Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1));
      this.#line(
        held,
        name,
        e,
        this.#percentileNames[i] as string,
        formatNumber(round3(samples[rank] as number)),
        '|g',
      );
    }
  }
}
