import { type Aggregator, Held, KIND_COUNTER, KIND_GAUGE, KIND_MULTI } from './aggregator.js';
import type { AnnotateOptions } from './carbon/events.js';
import { onlyDots } from './carbon/reporter.js';
import { type ClientNames, childNames, rootNames } from './child.js';
import { Core } from './core.js';
import { ErrorCodes, InvalidMetricError, InvalidOptionError, StatsError } from './errors.js';
import { Names } from './names.js';
import {
  type ClientOptions,
  resolveOptions,
  unknownChildOptionsError,
  unknownOptionsError,
} from './options.js';
import { describe, read, readError, UNREADABLE } from './protocol/describe.js';
import {
  type CheckOptions,
  type CheckStatus,
  type EventOptions,
  type Formatted,
  formatCheck,
  formatEvent,
  timestampSuffix,
} from './protocol/dogstatsd.js';
import { formatNumber } from './protocol/number.js';
import { sanitize, TABLES, utf8 } from './protocol/sanitize.js';
import { dogTags, eventTags, type ResolvedTags, resolveTags, tagsUnreadable } from './protocol/tags.js';
import { type TagSet, TagSets } from './tag-sets.js';
import { startTimer, type TimedDecorator, type Timer, Timing, timedDecorator } from './timing.js';
import { isWritableStream } from './transports/writable.js';
import type { MetricOptions, Tags, Telemetry, TimeOptions } from './types.js';

/** Options of `child()`. */
export interface ChildOptions {
  /** Appended to the parent's prefix, joined with `.`. */
  readonly prefix?: string | undefined;
  /** Appended to the parent's suffix, joined with `.`. */
  readonly suffix?: string | undefined;
  /** Merged over the parent's tags (the child wins on the same key). */
  readonly tags?: Tags | undefined;
  /** Default sample rate of the child. */
  readonly sampleRate?: number | undefined;
}

export type { TimedDecorator, Timer } from './timing.js';

const kCore = Symbol('statskit.core');

interface ChildInit extends ClientNames {
  readonly [kCore]: Core;
}

/** Rates are printed as given: `|@0.1`. */
function rateSuffix(rate: number): string {
  return rate === 1 ? '' : `|@${rate}`;
}

/**
 * A StatsD client. Metric calls format one line and hand it to a batcher; they never throw and never
 * block. Problems go to `onError`.
 *
 * @example
 * ```ts
 * import { StatsClient } from '@statskit/client';
 * const stats = new StatsClient({ prefix: 'myapp', tags: { env: 'prod' } });
 * stats.incr('requests');
 * stats.timing('db.query', 12.5, { tags: { table: 'users' } });
 * await stats.close();
 * ```
 */
export class StatsClient {
  readonly #core: Core;
  readonly #tags: ResolvedTags;
  readonly #rate: number;
  readonly #rateStr: string;
  /** The prefix and suffix (joined, sanitized) and the cache of resolved names. */
  readonly #names: Names;
  /** What this client holds in the aggregator (aggregation on), by the caller's name; made on first use. */
  #held: Held | undefined;
  /** Counters and gauges without options go straight to their held entry (aggregation on, rate 1). */
  readonly #fast: boolean;
  /** Timings without options too (multi-value lines). */
  readonly #fastSamples: boolean;
  /** `time()` and `timed()`, made on the first use. */
  #timing: Timing | undefined;
  /** Per-call tag sets already resolved (with this client's tags), made on the first tagged call. */
  #tagSets: TagSets | undefined;

  /** @throws {InvalidOptionError} when an option is invalid. Nothing after construction throws. */
  constructor(options?: ClientOptions);
  constructor(options?: ClientOptions | ChildInit) {
    let prefix: string;
    let suffix: string;
    // `in` throws on null and primitives: let resolveOptions() reject those with InvalidOptionError
    if (typeof options === 'object' && options !== null && kCore in options) {
      this.#core = options[kCore];
      prefix = options.prefix;
      suffix = options.suffix;
      this.#tags = options.tags;
      this.#rate = options.sampleRate;
    } else {
      const resolved = resolveOptions(options);
      const names = rootNames(resolved);
      prefix = names.prefix;
      suffix = names.suffix;
      this.#tags = names.tags;
      this.#rate = names.sampleRate;
      this.#core = new Core(resolved);
      this.#core.reportSoon(unknownOptionsError(options));
    }
    this.#rateStr = rateSuffix(this.#rate);
    this.#names = new Names(prefix, suffix, TABLES[this.#core.options.tagFormat].name);
    const agg = this.#core.aggregator;
    this.#fast = agg !== undefined && this.#rate === 1;
    this.#fastSamples = this.#fast && agg?.multiValue === true;
    if (!(options !== undefined && kCore in options) && this.#core.options.telemetryInterval > 0) {
      this.#core.startTelemetry(telemetryClient(this.#core, this.#tags));
    }
  }

  /** Count up: `name:value|c`. */
  incr(name: string, value = 1, opts?: MetricOptions): void {
    if (opts === undefined && this.#fast && this.#count(name, value)) return;
    this.#emit(name, value, '|c', opts);
  }

  /** Count down: `name:-value|c`. */
  decr(name: string, value = 1, opts?: MetricOptions): void {
    // only a number is negated: `-x` coerces (null → -0, '5' → -5) and throws on a Symbol
    const v = typeof value === 'number' ? -value : value;
    if (opts === undefined && this.#fast && this.#count(name, v)) return;
    this.#emit(name, v, '|c', opts);
  }

  /**
   * Set a gauge: `name:value|g`. statsd reads a leading sign as a delta, so a negative value is sent
   * as `name:0|g` then `name:-N|g` in the same packet.
   */
  gauge(name: string, value: number, opts?: MetricOptions): void {
    if (opts === undefined && this.#fast && this.#level(name, value)) return;
    if (typeof value === 'number' && value < 0) this.#emit(name, value, '|g', opts, 'negative');
    else this.#emit(name, value, '|g', opts);
  }

  /** Change a gauge by `delta`: `name:+N|g` or `name:-N|g`. */
  gaugeDelta(name: string, delta: number, opts?: MetricOptions): void {
    this.#emit(name, delta, '|g', opts, 'delta');
  }

  /** A duration in ms: `name:12.5|ms`. */
  timing(name: string, ms: number, opts?: MetricOptions): void {
    if (opts === undefined && this.#fastSamples && this.#sample(name, ms)) return;
    this.#emit(name, ms, '|ms', opts, 'duration');
  }

  /** A histogram sample: `name:value|ms` by default, `|h` with `server: 'dogstatsd'`, `'telegraf'` or `'statsd_exporter'`. */
  histogram(name: string, value: number, opts?: MetricOptions): void {
    this.#emit(name, value, this.#core.options.wire.histogram, opts);
  }

  /** A distribution sample: `name:value|ms` by default, `|d` with `server: 'dogstatsd'` or `'statsd_exporter'`, `|h` with `'telegraf'`. */
  distribution(name: string, value: number, opts?: MetricOptions): void {
    this.#emit(name, value, this.#core.options.wire.distribution, opts);
  }

  /**
   * A DogStatsD event: `_e{<title bytes>,<text bytes>}:title|text|d:…|h:…|k:…|p:…|s:…|t:…|#tags`.
   * Newlines in title and text are sent as `\n`. Not prefixed. The client's tags apply (always in
   * DogStatsD form; none with `tagFormat: 'none'`). Only DogStatsD servers understand events.
   * @example
   * ```ts
   * stats.event('Deploy finished', 'v1.2.3 is live', { alertType: 'success', tags: { service: 'api' } });
   * ```
   */
  event(title: string, text: string, opts?: EventOptions): void {
    if (this.#core.closed) {
      this.#core.dropClosed(`event ${describe(title)}`);
      return;
    }
    this.#writeExtension(
      formatEvent(
        title,
        text,
        opts,
        dogTags(this.#tags, eventTags(opts, title, this.#core.report), this.#core.report, this.#core.tags),
      ),
      title,
    );
  }

  /**
   * A DogStatsD service check: `_sc|name|status|d:…|h:…|#tags|m:message`. `status` is 0 (OK),
   * 1 (WARNING), 2 (CRITICAL) or 3 (UNKNOWN) — see `CheckStatus`. Not prefixed.
   * @example
   * ```ts
   * stats.check('db.can_connect', CheckStatus.CRITICAL, { message: 'timeout after 5 s' });
   * ```
   */
  check(name: string, status: CheckStatus, opts?: CheckOptions): void {
    if (this.#core.closed) {
      this.#core.dropClosed(`check ${describe(name)}`);
      return;
    }
    this.#writeExtension(
      formatCheck(
        name,
        status,
        opts,
        dogTags(this.#tags, eventTags(opts, name, this.#core.report), this.#core.report, this.#core.tags),
      ),
      name,
    );
  }

  /**
   * A Graphite event (a deploy marker): POSTed to graphite-web's `/events/` (the `graphiteWeb` option),
   * drawn with `drawAsInfinite(events('deploy'))`. Never throws: resolves `true` once stored, `false`
   * when it was not (the reason went to onError: `STATSKIT_ERR_EVENT_FAILED`, `STATSKIT_ERR_QUEUE_FULL`,
   * …). Works with either backend. DogStatsD events are `event()`.
   * @example
   * ```ts
   * const stats = new StatsClient({ carbon: true, graphiteWeb: 'http://127.0.0.1:8080' });
   * await stats.annotate('deploy api v1.2.3', { tags: ['deploy', 'api'], data: 'commit 1a2b3c' });
   * ```
   */
  annotate(what: string, opts?: AnnotateOptions): Promise<boolean> {
    const events = this.#core.events;
    if (events === undefined) {
      this.#core.report(
        new InvalidMetricError(
          ErrorCodes.INVALID_VALUE,
          `statskit: annotate(${describe(what)}) needs the graphiteWeb option; not sent`,
          what,
        ),
      );
      return Promise.resolve(false);
    }
    if (this.#core.closed) {
      this.#core.dropClosed(`annotate ${describe(what)}`);
      return Promise.resolve(false);
    }
    return events.post(what, opts);
  }

  /** Count a unique member: `name:value|s`. The member is sanitized like a name. */
  set(name: string, value: string | number, opts?: MetricOptions): void {
    if (typeof value === 'string') {
      const member = sanitize(value, TABLES[this.#core.options.tagFormat].member);
      if (member === '') {
        this.#core.dropInvalid(
          new InvalidMetricError(
            ErrorCodes.INVALID_VALUE,
            `statskit: set ${describe(name)} got an empty member`,
            name,
          ),
        );
        return;
      }
      this.#emit(name, member, '|s', opts, undefined, utf8.bytes);
    } else this.#emit(name, value, '|s', opts);
  }

  /**
   * Start a timer; `stop()` sends `name:<ms>|ms` and returns the ms (high-resolution clock).
   * @example
   * ```ts
   * const t = stats.timer('render');
   * render();
   * t.stop();
   * ```
   */
  timer(name: string, opts?: MetricOptions): Timer {
    return startTimer(this, name, opts);
  }

  /**
   * Time `fn` (sync or async) and return its result unchanged. A throw or rejection is timed too, with
   * `opts.errorTags` added, and re-thrown as is.
   * @example
   * ```ts
   * const rows = await stats.time('db.users', () => db.query('select 1'), { errorTags: { outcome: 'error' } });
   * ```
   */
  time<T>(name: string, fn: () => T, opts?: TimeOptions): T {
    this.#timing ??= new Timing(this.#core, (n, ms, o) => this.#emit(n, ms, '|ms', o));
    return this.#timing.time(name, fn, opts);
  }

  /**
   * A method decorator that times every call with {@link time}.
   * @example
   * ```ts
   * class Repo {
   *   @stats.timed('repo.find')
   *   async find(id: string) { ... }
   * }
   * ```
   */
  timed(name: string, opts?: TimeOptions): TimedDecorator {
    return timedDecorator(this, name, opts);
  }

  /**
   * A client that shares this one's socket, batcher and telemetry, with a longer prefix and more tags.
   * Cheap: the prefix and tag strings are built once here.
   * @throws {InvalidOptionError} on a bad option.
   */
  child(options: ChildOptions = {}): StatsClient {
    const core = this.#core;
    const child = new StatsClient({
      [kCore]: core,
      ...childNames(options, core.options.tagFormat, {
        prefix: this.#names.prefix,
        suffix: this.#names.suffix,
        tags: this.#tags,
        sampleRate: this.#rate,
      }),
    } satisfies ChildInit as unknown as ClientOptions);
    core.reportSoon(unknownChildOptionsError(options));
    return child;
  }

  /**
   * Run `fn` synchronously at the start of every `flush()` and `close()` (on this client, its parent or
   * a child) and before the process exits on its own: the moment for code that holds values of its own
   * (summed counters, a custom aggregate) to write them through this client, so nothing is lost on
   * close. A throw from `fn` goes to onError (`STATSKIT_ERR_CALLBACK`). Returns a function that
   * unregisters it.
   * @example
   * ```ts
   * let pending = 0;
   * const off = stats.onFlush(() => {
   *   if (pending > 0) stats.incr('jobs.done', pending);
   *   pending = 0;
   * });
   * ```
   */
  onFlush(fn: () => void): () => void {
    if (typeof fn !== 'function') throw new InvalidOptionError('statskit: onFlush() needs a function');
    return this.#core.addFlushHook(fn);
  }

  /**
   * Run `fn` once when this client (its parent or a child) starts closing: after the flush hooks, while
   * metric calls are still accepted, so `fn` may send a last value. The moment for code that owns timers
   * feeding this client (pollers, collectors) to stop them. Called at once if the client is already
   * closed. A throw from `fn` goes to onError (`STATSKIT_ERR_CALLBACK`). Returns a function that
   * unregisters it.
   * @example
   * ```ts
   * const timer = setInterval(() => stats.gauge('queue.length', queue.length), 10_000).unref();
   * stats.onClose(() => clearInterval(timer));
   * ```
   */
  onClose(fn: () => void): () => void {
    if (typeof fn !== 'function') throw new InvalidOptionError('statskit: onClose() needs a function');
    return this.#core.addCloseHook(fn);
  }

  /**
   * Send everything buffered; resolves when the socket has taken it. After close() it does nothing and
   * resolves once close() has finished.
   */
  flush(): Promise<void> {
    return this.#core.flush();
  }

  /**
   * Flush, then release the socket and timers. Nothing buffered is lost. Later metric calls are dropped
   * with a `STATSKIT_ERR_CLOSED` error to onError. A second close() (and flush() after close) is a no-op
   * that reports nothing and returns the first close()'s promise: it resolves when that close has
   * finished. Closes the children too (they share the socket).
   */
  close(): Promise<void> {
    return this.#core.close();
  }

  /** True once close() was called (on this client, its parent or a child). */
  get closed(): boolean {
    return this.#core.closed;
  }

  /**
   * True when counters, gauges and sets are aggregated in process (the `aggregate` option, on by
   * default, or the carbon reporter): code feeding the client need not sum them itself.
   */
  get aggregating(): boolean {
    return this.#core.aggregator !== undefined || this.#core.carbon !== undefined;
  }

  /**
   * Pass a problem to this client's `onError` (counted in `telemetry().errors`, and rate-limited like the
   * client's own), after the current synchronous code: for packages built on the client, such as the
   * framework adapters, that report their own option warnings where the client reports its. Never throws.
   * @example
   * ```ts
   * const err = unknownOptionKeys(myOptions, ['interval', 'prefix'], 'myCollector option');
   * if (err !== undefined) stats.reportError(err);
   * ```
   */
  reportError(err: StatsError): void {
    if (StatsError.is(err)) this.#core.reportSoon(err);
  }

  /**
   * Milliseconds between the sends of in-process aggregates (`aggregate.interval`, or `carbon.interval`
   * with the carbon reporter); undefined when each call is sent as it comes (`aggregate: false`). A
   * gauge set more often than this is sent once per interval with its last value: code reading faster
   * that must not lose a peak folds its maxima itself over this long (as the runtime collector does).
   * @example
   * ```ts
   * const every = stats.sendInterval ?? 0; // 1000 by default
   * ```
   */
  get sendInterval(): number | undefined {
    const core = this.#core;
    return core.options.carbon?.interval ?? core.options.aggregate?.interval;
  }

  /** A snapshot of the client's counters (shared with its children). */
  telemetry(): Telemetry {
    const t = this.#core.telemetry;
    return { ...t, droppedBy: { ...t.droppedBy } };
  }

  /** Hand a formatted event or check to the batcher, or report why it was rejected. */
  #writeExtension(f: Formatted, name: unknown): void {
    if ('error' in f) {
      this.#core.dropInvalid(
        new InvalidMetricError(
          f.badName === true ? ErrorCodes.INVALID_NAME : ErrorCodes.INVALID_VALUE,
          `statskit: ${f.error}; not sent`,
          name,
        ),
      );
      return;
    }
    this.#core.write(f.line, Buffer.byteLength(f.line), 1, describe(name));
  }

  /**
   * The hot path: validate, sample, format one line with precomputed strings, hand it on.
   * `mode`: 'delta' writes an explicit sign; 'negative' writes the `0` reset first; 'duration' rejects a
   * negative value.
   */
  #emit(
    name: string,
    value: number | string,
    type: string,
    opts: MetricOptions | undefined,
    mode?: 'delta' | 'negative' | 'duration',
    valueBytes?: number,
  ): void {
    const core = this.#core;
    if (core.closed) {
      core.dropClosed(describe(name));
      return;
    }
    // a number is formatted only for a raw line: an aggregated call never needs its text
    let valueStr = '';
    if (typeof value === 'number') {
      // x - x is 0 only for finite numbers: rejects NaN and ±Infinity in one test
      if (value - value !== 0 || (mode === 'duration' && value < 0)) {
        core.dropInvalid(
          new InvalidMetricError(
            ErrorCodes.INVALID_VALUE,
            `statskit: metric ${describe(name)} has value ${value}${value < 0 ? ', a negative duration' : ''}; not sent`,
            name,
          ),
        );
        return;
      }
    } else if (typeof value === 'string' && valueBytes !== undefined) {
      // only set() passes a string, sanitized; any other string value could carry '\n' or '|'
      valueStr = value;
    } else {
      core.dropInvalid(
        new InvalidMetricError(
          ErrorCodes.INVALID_VALUE,
          `statskit: metric ${describe(name)} has a ${typeof value} value; not sent`,
          name,
        ),
      );
      return;
    }
    let rateStr = this.#rateStr;
    let rate = this.#rate;
    let tagStr = this.#tags.str;
    let tagBytes = this.#tags.bytes;
    let tsStr = '';
    let callTags: unknown;
    let cached: TagSet | undefined;
    if (opts !== undefined && opts !== null) {
      // Each option is read once, in one guarded block (cheaper than a guard per read): a getter or a
      // Proxy trap that throws is reported, never thrown.
      let r: unknown;
      let tags: unknown;
      let timestamp: unknown;
      let at = 0;
      try {
        r = opts.rate;
        at = 1;
        tags = opts.tags;
        at = 2;
        timestamp = opts.timestamp;
      } catch (err) {
        readError.cause = err;
        if (at === 0) r = UNREADABLE;
        else if (at === 2) timestamp = UNREADABLE;
        else {
          tagsUnreadable(core.report, name, 'opts.tags', err);
          timestamp = read(opts, 'timestamp');
        }
      }
      if (r !== undefined && r !== rate) {
        if (typeof r !== 'number' || !(r > 0 && r <= 1)) {
          core.dropInvalid(
            new InvalidMetricError(
              ErrorCodes.INVALID_RATE,
              r === UNREADABLE
                ? `statskit: metric ${describe(name)}: reading opts.rate threw; not sent`
                : `statskit: metric ${describe(name)} has sample rate ${describe(r)}, not in (0, 1]; not sent`,
              name,
              r === UNREADABLE ? { cause: readError.cause } : undefined,
            ),
          );
          return;
        }
        rate = r;
        rateStr = rateSuffix(r);
      }
      if (tags !== undefined) {
        // A set seen before comes from the cache; otherwise joined into a string only where one is
        // needed (aggregation, the negative-gauge pair).
        const sets = this.#tagSets ?? this.#makeTagSets();
        tagStr = sets.resolve(
          this.#tags,
          tags,
          core.tags,
          mode === 'negative' || core.aggregator !== undefined || core.carbon !== undefined,
        );
        tagBytes = sets.bytes;
        // for the encoder: the call's tags (the writer holds their pieces) or the cached set (its bytes)
        if (sets.pieces) callTags = tags;
        else cached = sets.set;
      }
      // DogStatsD protocol 1.3: `|T<seconds>`, on counts and gauges only (ignored on other types).
      if (timestamp !== undefined && (type === '|c' || type === '|g')) {
        const ts = timestamp === UNREADABLE ? undefined : timestampSuffix(timestamp);
        if (ts === undefined) {
          core.dropInvalid(
            new InvalidMetricError(
              ErrorCodes.INVALID_VALUE,
              timestamp === UNREADABLE
                ? `statskit: metric ${describe(name)}: reading opts.timestamp threw; not sent`
                : `statskit: metric ${describe(name)} has timestamp ${describe(timestamp)}, not a Date or Unix seconds; not sent`,
              name,
              timestamp === UNREADABLE ? { cause: readError.cause } : undefined,
            ),
          );
          return;
        }
        // a server without `|T` (etsy, Telegraf) takes the value at arrival: the field is left out
        if (core.options.wire.timestamps) tsStr = ts;
      }
    }
    if (typeof name !== 'string' || name === '') {
      core.dropInvalid(
        new InvalidMetricError(
          ErrorCodes.INVALID_NAME,
          `statskit: metric name must be a non-empty string, got ${typeof name === 'string' ? '""' : describe(name)}`,
          name,
        ),
      );
      return;
    }
    if (rate < 1 && core.random() >= rate) {
      core.telemetry.sampledOut++;
      return;
    }
    if (tsStr === '') {
      const agg = core.aggregator;
      if (agg !== undefined) {
        const held = this.#held ?? this.#hold();
        if (agg.add(held, name, tagStr, tagBytes, type, value, rate, mode === 'delta')) {
          core.telemetry.aggregated++;
          return;
        }
      } else if (core.carbon !== undefined) {
        let k = this.#names.get(name);
        if (k === undefined) {
          if (onlyDots(name)) {
            core.dropInvalid(
              new InvalidMetricError(
                ErrorCodes.INVALID_NAME,
                `statskit: metric name ${describe(name)} is only dots: no carbon path segment of its own (it would overwrite the prefix's series); not sent`,
                name,
              ),
            );
            return;
          }
          k = this.#names.resolve(name);
          this.#names.remember(name, k);
        }
        core.carbon.add(k, tagStr, tagBytes, type, value, rate, mode === 'delta');
        core.telemetry.aggregated++;
        return;
      }
    }
    if (rateStr !== '' && type !== '|c') {
      // Only counters need the rate everywhere. Gauges and sets: no server reads it (collectd drops the
      // line); samples: collectd divides the value by it. The dialect says where it is written.
      const wire = core.options.wire;
      if (type === '|g' || type === '|s' ? !wire.levelRates : !wire.sampleRates) rateStr = '';
    }
    if (typeof value === 'number')
      valueStr = mode === 'delta' && value >= 0 ? `+${formatNumber(value)}` : formatNumber(value);
    this.#line(
      name,
      valueStr,
      valueBytes ?? valueStr.length,
      type,
      rateStr,
      tsStr,
      tagStr,
      tagBytes,
      callTags,
      mode,
      cached,
    );
  }

  /**
   * One raw line (or the negative-gauge pair) into the packet: the name from the cache, or written as it
   * goes (and cached once a line with it was accepted, when the cache takes it). The tags: `tagStr`, with
   * the call's tags it was made of (`callTags`) or the cached tag set it came from (`cached`).
   */
  #line(
    name: string,
    valueStr: string,
    valueBytes: number,
    type: string,
    rateStr: string,
    tsStr: string,
    tagStr: string,
    tagBytes: number,
    callTags: unknown,
    mode: 'delta' | 'negative' | 'duration' | undefined,
    cached?: TagSet,
  ): void {
    const names = this.#names;
    const k = names.get(name) ?? names.build(name);
    const encoder = this.#core.encoder;
    const sent =
      mode === 'negative'
        ? encoder.negativeGauge(names, name, k, valueStr, rateStr, tsStr, tagStr, tagBytes)
        : encoder.line(
            names,
            name,
            k,
            '',
            valueStr,
            valueBytes,
            type,
            rateStr,
            tsStr,
            tagStr,
            tagBytes,
            // a cached set goes without the client's tags: the encoder then copies its bytes
            cached ?? callTags,
            cached === undefined ? this.#tags : undefined,
          );
    if (sent && k !== undefined && !k.cached) names.remember(name, k);
  }

  /** The tag-set cache, made on the first tagged call (children are cheap). */
  #makeTagSets(): TagSets {
    this.#tagSets = new TagSets(this.#core.report, this.#core.maxBytes);
    return this.#tagSets;
  }

  /** What this client holds in the aggregator, made on the first aggregated call (children are cheap). */
  #hold(): Held {
    this.#held = new Held(this.#names, this.#tags);
    return this.#held;
  }

  /**
   * A counter called without options: added to its held entry, or a new entry made here (the checks
   * the full path would make, none of its option reading). False: take the full path.
   */
  #count(name: string, value: number): boolean {
    if (typeof value !== 'number' || value - value !== 0) return false;
    const held = this.#held ?? this.#hold();
    const e = held.entries.get(name);
    if (e === undefined) {
      const core = this.#core;
      if (typeof name !== 'string' || name === '' || core.closed) return false;
      if (!(core.aggregator as Aggregator).newCount(held, name, value)) {
        // past aggregate.maxKeys: a raw line, as the full path would send (without a second lookup)
        const v = formatNumber(value);
        const tags = this.#tags;
        this.#line(name, v, v.length, '|c', '', '', tags.str, tags.bytes, undefined, undefined);
        return true;
      }
    } else if (e.kind === KIND_COUNTER && e.plain) e.value += value;
    else return false;
    this.#core.telemetry.aggregated++;
    return true;
  }

  /** A gauge held this interval, set without options (false: take the full path). */
  #level(name: string, value: number): boolean {
    const e = (this.#held ?? this.#hold()).entries.get(name);
    if (e === undefined || e.kind !== KIND_GAUGE || !e.plain) return false;
    if (typeof value !== 'number' || value - value !== 0) return false;
    e.value = value;
    e.absolute = true;
    e.delta = 0;
    this.#core.telemetry.aggregated++;
    return true;
  }

  /** A timer held this interval (multi-value lines), timed without options (false: the full path). */
  #sample(name: string, ms: number): boolean {
    const held = this.#held ?? this.#hold();
    const e = held.entries.get(name);
    if (e === undefined || e.kind !== KIND_MULTI || !e.plain || e.type !== '|ms') return false;
    if (typeof ms !== 'number' || ms - ms !== 0 || ms < 0) return false;
    (this.#core.aggregator as Aggregator).sample(held, name, e, ms);
    this.#core.telemetry.aggregated++;
    return true;
  }
}

/**
 * The key under which an object that runs on statskit's core (the hot-shots compat `StatsD`) hands out a
 * `StatsClient` on that core: the framework adapters accept such an object as their `client`.
 * @example
 * ```ts
 * import StatsD from '@statskit/client/hot-shots';
 * const statsd = new StatsD({ port: 8125 });
 * statsd[STATS_CLIENT].incr('jobs'); // same socket, prefix and global tags as `statsd`
 * ```
 */
export const STATS_CLIENT: unique symbol = Symbol.for('statskit.statsClient');

/** An object that sends through statskit's core and hands out a `StatsClient` on it (`StatsD` of `@statskit/client/hot-shots`). */
export interface StatsClientHolder {
  /** A client sharing the holder's socket, packets, prefix and global tags. */
  readonly [STATS_CLIENT]: StatsClient;
}

/**
 * A client on `core` (the hot-shots compat class's) with these names: `prefix` and `suffix` already
 * sanitized and dotted, `tags` as the compat class holds them (`k:v` / `k=v` / flag strings).
 * @internal
 */
export function clientOnCore(
  core: Core,
  prefix: string,
  suffix: string,
  tags: readonly string[],
): StatsClient {
  return new StatsClient({
    [kCore]: core,
    prefix,
    suffix,
    tags: resolveTags(tags, core.options.tagFormat, core.report),
    sampleRate: 1,
  } satisfies ChildInit as unknown as ClientOptions);
}

/**
 * The client the telemetry reporter sends through (`telemetryInterval`): shares the core, no prefix or
 * suffix, never sampled, the client's tags plus `transport:<udp|tcp|uds|writable|custom>`.
 */
function telemetryClient(core: Core, tags: ResolvedTags): StatsClient {
  const o = core.options;
  const kind = o.transport === undefined ? o.protocol : isWritableStream(o.transport) ? 'writable' : 'custom';
  return new StatsClient({
    [kCore]: core,
    prefix: '',
    suffix: '',
    tags: resolveTags({ transport: kind }, o.tagFormat, core.report, tags),
    sampleRate: 1,
  } satisfies ChildInit as unknown as ClientOptions);
}
