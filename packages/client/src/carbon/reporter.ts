/**
 * The direct carbon reporter: metric calls only update memory (a counter, a meter, a bucketed
 * histogram — or a sliding window with `reservoir: 'window'`); every `interval` ms one batch of
 * `path value timestamp` lines goes to carbon, stamped with the start of the interval it describes,
 * the way the Metrics library's GraphiteReporter reports.
 *
 * What each kind becomes (docs/metrics.md, "Direct to carbon"):
 * - counter → `.count` (total since start), `.delta` (this interval), `.m1_rate .m5_rate .m15_rate
 *   .mean_rate` (per second);
 * - gauge → the name itself (last value; deltas apply to it);
 * - set → `.count` (distinct members this interval);
 * - timer → `.count` (since start), `.min .max .mean .stddev .pNN` from the reservoir (the histogram:
 *   this interval's samples, nothing while it had none), plus the rates;
 *   histogram / distribution → the same without rates.
 *
 * Series live until close(): a counter's total must survive idle intervals. At most `maxKeys` of them;
 * a new one past that is dropped, counted (`droppedBy.overflow`) and reported once per interval.
 *
 * The scheduled report is written in slices of at most {@link SLICE_MS} ms, yielding to the event loop
 * between them, so 10 000 series never block one tick for long. `flush()` (and close()) writes the
 * current, unfinished interval synchronously without ending it: the scheduled report of that interval
 * then overwrites those points in carbon with the complete values.
 */

import { ErrorCodes, InvalidMetricError, type StatsError } from '../errors.js';
import type { Key } from '../names.js';
import { countDrop, type Telemetry } from '../types.js';
import { CarbonPacker, carbonValue, type SendPacket } from './encoder.js';
import { HistogramReservoir } from './histogram.js';
import { Meter } from './meter.js';
import type { ResolvedCarbonOptions } from './options.js';
import { type Reservoir, SlidingWindowReservoir, type Snapshot } from './reservoir.js';

/** Longest stretch of one scheduled report before it yields to the event loop. */
const SLICE_MS = 4;
/** Entries written between two looks at the clock. */
const CHECK_EVERY = 8;

const KIND_COUNTER = 0;
const KIND_GAUGE = 1;
const KIND_SET = 2;
const KIND_TIMER = 3;
const KIND_HISTOGRAM = 4;

interface Entry {
  readonly kind: number;
  /** API key segment + metric path, its UTF-8 bytes, and the Graphite tags (`;k=v`) and theirs. */
  readonly head: string;
  readonly headBytes: number;
  readonly tags: string;
  readonly tagBytes: number;
  /** Counter: this interval's sum. */
  delta: number;
  /** Counters and timers. */
  readonly meter: Meter | undefined;
  /** Gauge value (statsd semantics: deltas before any value start from 0). */
  value: number;
  members: Set<string> | undefined;
  readonly reservoir: Reservoir | undefined;
  /** Timer/histogram samples since start. */
  count: number;
}

/** What the reporter is given by the client core. */
export interface CarbonContext {
  readonly send: SendPacket;
  readonly telemetry: Telemetry;
  readonly report: (err: StatsError) => void;
  /** Wall clock in ms (injectable for tests). */
  readonly now?: (() => number) | undefined;
}

/** `q` as a metric-name segment: 0.5 → p50, 0.999 → p999, 1 → p100. */
function quantileName(q: number): string {
  return q === 1 ? 'p100' : `p${String(q).slice(2).padEnd(2, '0')}`;
}

/** `a..b.` → `a.b`: Graphite has no empty path segments. */
function collapseDots(s: string): string {
  return s.includes('..') || s.startsWith('.') || s.endsWith('.')
    ? s
        .split('.')
        .filter((x) => x !== '')
        .join('.')
    : s;
}

/**
 * A name of dots only (`.`, `...`): empty once Graphite's empty segments are collapsed, it would be
 * written as the bare prefix path (or as no path at all) and overwrite that series. Sanitizing never
 * makes a dot, so the caller's name is checked as given.
 */
export function onlyDots(name: string): boolean {
  for (let i = 0; i < name.length; i++) if (name.charCodeAt(i) !== 0x2e) return false;
  return true;
}

export class CarbonReporter {
  readonly #opts: ResolvedCarbonOptions;
  readonly #ctx: CarbonContext;
  readonly #now: () => number;
  readonly #packer: CarbonPacker;
  readonly #quantiles: readonly number[];
  /** Filled by each reservoir snapshot (reports never overlap). */
  readonly #snap: Snapshot;
  readonly #quantileStats: readonly string[];
  readonly #apiKey: string;
  /**
   * Entries by statsd type (`|c`, `|ms`, …), metric key, then tags: no string is built per call (a
   * `type + tags` key would be concatenated and hashed again at every call).
   */
  readonly #byType = new Map<string, Map<string, Map<string, Entry>>>();
  /** The two most used types, found without a lookup. */
  readonly #timers = new Map<string, Map<string, Entry>>();
  readonly #counters = new Map<string, Map<string, Entry>>();
  /** Every entry, in creation order: a sliced report resumes by index. */
  readonly #list: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** Start (ms) of the interval being collected. */
  #intervalStart: number;
  /** A scheduled report in progress: next index, end index, its timestamp. */
  #cursor = -1;
  #end = 0;
  #ts = '';
  #reportAt = 0;
  #immediate: NodeJS.Immediate | undefined;
  #stopped = false;
  /** An interval ended while the previous report was still running: start it when that one ends. */
  #due = false;
  /** New series refused this interval (reported once per interval). */
  #refused = 0;

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#schedule();
    // the previous report is still being written in slices (or waits to start): this one follows it,
    // never blocks for it. Under sustained overload, intervals that end meanwhile merge into that one.
    if (this.#cursor >= 0 || this.#due) this.#due = true;
    else this.#startReport();
  };

  readonly #onImmediate = (): void => {
    this.#immediate = undefined;
    this.#step(true);
  };

  constructor(opts: ResolvedCarbonOptions, ctx: CarbonContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#now = ctx.now ?? Date.now;
    this.#packer = new CarbonPacker(opts.packetSize, ctx.send);
    this.#quantiles = opts.percentiles;
    this.#quantileStats = opts.percentiles.map((q) => `.${quantileName(q)}`);
    this.#snap = {
      size: 0,
      min: 0,
      max: 0,
      mean: 0,
      stddev: 0,
      quantiles: new Float64Array(opts.percentiles.length),
    };
    this.#apiKey = opts.apiKey === '' ? '' : `${opts.apiKey}.`;
    const now = this.#now();
    this.#intervalStart = now - (now % opts.interval);
  }

  /**
   * Fold one call into its series. Always true: nothing is sent as a statsd line in carbon mode.
   * `value` is validated by the client; `rate` is the rate it was sampled at.
   */
  add(
    key: Pick<Key, 'key' | 'bytes'>,
    tags: string,
    tagBytes: number,
    type: string,
    value: number | string,
    rate: number,
    delta: boolean,
  ): boolean {
    const byKey =
      type === '|ms'
        ? this.#timers
        : type === '|c'
          ? this.#counters
          : (this.#byType.get(type) ?? this.#typeMap(type));
    const byTags = byKey.get(key.key);
    let e = byTags?.get(tags);
    if (e === undefined) {
      // a refused series leaves nothing behind: its name's map is made only once it holds an entry
      const made = this.#create(key, tags, tagBytes, type);
      if (made === undefined) return true;
      e = made;
      if (byTags === undefined) byKey.set(key.key, new Map([[tags, e]]));
      else byTags.set(tags, e);
    }
    switch (e.kind) {
      case KIND_COUNTER: {
        const v = rate === 1 ? (value as number) : (value as number) / rate;
        e.delta += v;
        (e.meter as Meter).mark(v);
        break;
      }
      case KIND_GAUGE:
        if (delta) e.value += value as number;
        else e.value = value as number;
        break;
      case KIND_SET: {
        const members = e.members as Set<string>;
        if (members.size < this.#opts.maxSetMembers)
          members.add(typeof value === 'string' ? value : `${value}`);
        break;
      }
      default:
        e.count++;
        (e.reservoir as Reservoir).update(value as number);
        if (e.meter !== undefined) e.meter.mark(1);
    }
    return true;
  }

  #typeMap(type: string): Map<string, Map<string, Entry>> {
    const m = new Map<string, Map<string, Entry>>();
    this.#byType.set(type, m);
    return m;
  }

  /**
   * Write everything now, synchronously: the rest of a scheduled report in progress, then the current
   * interval so far (not ended: its scheduled report will carry the complete values).
   */
  flush(): void {
    if (this.#cursor >= 0) this.#step(false);
    else if (this.#due) {
      if (this.#immediate !== undefined) clearImmediate(this.#immediate);
      this.#immediate = undefined;
      this.#due = false;
      this.#startReport(false);
    }
    if (this.#list.length === 0) return;
    const now = this.#now();
    const ts = `${Math.floor(this.#intervalStart / 1000)}`;
    for (const e of this.#list) this.#emit(e, ts, now, false);
    this.#packer.flush();
  }

  /** Stop the timers (after a final flush by the caller). */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #create(key: Pick<Key, 'key' | 'bytes'>, tags: string, tagBytes: number, type: string): Entry | undefined {
    if (this.#list.length >= this.#opts.maxKeys) {
      this.#refuse(key.key);
      return undefined;
    }
    const kind =
      type === '|c'
        ? KIND_COUNTER
        : type === '|g'
          ? KIND_GAUGE
          : type === '|s'
            ? KIND_SET
            : type === '|ms'
              ? KIND_TIMER
              : KIND_HISTOGRAM;
    const path = collapseDots(key.key);
    const head = this.#apiKey + path;
    const now = this.#now();
    const e: Entry = {
      kind,
      head,
      headBytes: Buffer.byteLength(head),
      tags,
      tagBytes,
      delta: 0,
      meter: kind === KIND_COUNTER || kind === KIND_TIMER ? new Meter(now) : undefined,
      value: 0,
      members: kind === KIND_SET ? new Set() : undefined,
      reservoir:
        kind === KIND_TIMER || kind === KIND_HISTOGRAM
          ? this.#opts.reservoir === 'histogram'
            ? new HistogramReservoir()
            : new SlidingWindowReservoir(this.#opts.reservoirSize)
          : undefined,
      count: 0,
    };
    this.#list.push(e);
    if (this.#timer === undefined && !this.#stopped) {
      // the first series: the interval being collected is the one on the grid now, not the one the
      // client was made in (its report would be stamped with a second long past, the next one skipped)
      if (this.#cursor < 0 && !this.#due) this.#intervalStart = now - (now % this.#opts.interval);
      this.#schedule();
    }
    return e;
  }

  #refuse(name: string): void {
    const t = this.#ctx.telemetry;
    t.droppedBy.overflow++;
    t.linesDropped++;
    t.metrics++;
    if (this.#refused++ === 0) {
      this.#ctx.report(
        new InvalidMetricError(
          ErrorCodes.TOO_MANY_KEYS,
          `statskit: carbon reporter holds carbon.maxKeys = ${this.#opts.maxKeys} series; new series ${name} dropped (and any other new one this interval)`,
          name,
        ),
      );
    }
  }

  /** Arm the timer for the next interval boundary. */
  #schedule(): void {
    const interval = this.#opts.interval;
    const now = this.#now();
    const wait = interval - (now % interval);
    this.#timer = setTimeout(this.#onTimer, wait);
    this.#timer.unref();
  }

  /** The interval just ended: report it, in slices (or at once, from flush()). */
  #startReport(slice = true): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    const now = this.#now();
    const interval = this.#opts.interval;
    this.#ts = `${Math.floor(this.#intervalStart / 1000)}`;
    this.#reportAt = now;
    // the timer may fire a little early or late: the next interval starts at the boundary just passed
    this.#intervalStart = Math.max(this.#intervalStart + interval, now - (now % interval));
    this.#refused = 0;
    this.#cursor = 0;
    this.#end = this.#list.length;
    this.#step(slice);
  }

  /** Write entries of the report in progress; with `slice`, yield after {@link SLICE_MS}. */
  #step(slice: boolean): void {
    if (this.#cursor < 0) return;
    const deadline = slice ? performance.now() + SLICE_MS : Number.POSITIVE_INFINITY;
    const list = this.#list;
    const now = this.#reportAt;
    const ts = this.#ts;
    let i = this.#cursor;
    const end = this.#end;
    while (i < end) {
      this.#emit(list[i] as Entry, ts, now, true);
      i++;
      if (slice && i % CHECK_EVERY === 0 && performance.now() > deadline && i < end) {
        this.#cursor = i;
        this.#packer.flush();
        this.#immediate = setImmediate(this.#onImmediate);
        this.#immediate.unref();
        return;
      }
    }
    this.#cursor = -1;
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    this.#packer.flush();
    if (this.#due) {
      if (slice) {
        // the next report, in its own slices (flush() may still take it over synchronously)
        this.#immediate = setImmediate(this.#onStartDue);
        this.#immediate.unref();
      } else {
        this.#due = false;
        this.#startReport(false);
      }
    }
  }

  readonly #onStartDue = (): void => {
    this.#immediate = undefined;
    if (!this.#due) return;
    this.#due = false;
    this.#startReport();
  };

  #line(e: Entry, stat: string, v: number, ts: string): void {
    if (v - v !== 0) {
      const t = this.#ctx.telemetry;
      t.droppedBy.overflow++;
      t.linesDropped++;
      t.metrics++;
      this.#ctx.report(
        new InvalidMetricError(
          ErrorCodes.OVERFLOW,
          `statskit: ${e.head}${stat} overflowed to ${v}; not sent`,
          e.head,
        ),
      );
      return;
    }
    const value = carbonValue(v);
    const bytes = CarbonPacker.bytes(e.headBytes, stat, e.tagBytes, value, ts);
    if (!this.#packer.line(e.head, stat, e.tags, value, ts, bytes)) {
      countDrop(this.#ctx.telemetry, 'tooLarge', bytes, 1);
      this.#ctx.telemetry.metrics++;
      this.#ctx.report(
        new InvalidMetricError(
          ErrorCodes.LINE_TOO_LARGE,
          `statskit: carbon line ${e.head}${stat} is ${bytes} bytes, over the packet size ${this.#opts.packetSize}; dropped`,
          e.head,
        ),
      );
      return;
    }
    this.#ctx.telemetry.metrics++;
  }

  #rates(e: Entry, m: Meter, ts: string, now: number): void {
    m.tick(now);
    this.#line(e, '.m1_rate', m.m1, ts);
    this.#line(e, '.m5_rate', m.m5, ts);
    this.#line(e, '.m15_rate', m.m15, ts);
    this.#line(e, '.mean_rate', m.meanRate(now), ts);
  }

  /** Write one series; `end` closes its interval (counter delta and set members start over). */
  #emit(e: Entry, ts: string, now: number, end: boolean): void {
    switch (e.kind) {
      case KIND_COUNTER: {
        const m = e.meter as Meter;
        this.#line(e, '.count', m.count, ts);
        this.#line(e, '.delta', e.delta, ts);
        this.#rates(e, m, ts, now);
        if (end) {
          // overflowed to ±Infinity (reported by #line): the next interval starts afresh, from 0
          if (!m.finite || e.delta - e.delta !== 0) m.reset(now);
          e.delta = 0;
        }
        return;
      }
      case KIND_GAUGE:
        this.#line(e, '', e.value, ts);
        if (end && e.value - e.value !== 0) e.value = 0; // overflowed: deltas start again from 0
        return;
      case KIND_SET: {
        const members = e.members as Set<string>;
        this.#line(e, '.count', members.size, ts);
        if (end) members.clear();
        return;
      }
      default: {
        this.#line(e, '.count', e.count, ts);
        const r = e.reservoir as Reservoir;
        const s = this.#snap;
        if (r.snapshot(this.#quantiles, s)) {
          this.#line(e, '.min', s.min, ts);
          this.#line(e, '.max', s.max, ts);
          this.#line(e, '.mean', s.mean, ts);
          this.#line(e, '.stddev', s.stddev, ts);
          const names = this.#quantileStats;
          for (let i = 0; i < names.length; i++)
            this.#line(e, names[i] as string, s.quantiles[i] as number, ts);
          if (end) r.reset();
        }
        if (e.meter !== undefined) this.#rates(e, e.meter, ts, now);
      }
    }
  }
}
