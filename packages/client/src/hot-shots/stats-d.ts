import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { clientOnCore, STATS_CLIENT, type StatsClient } from '../client.js';
import { Core, warningReporter } from '../core.js';
import { ErrorCodes, InvalidMetricError, InvalidOptionError, StatsError } from '../errors.js';
import { type ClientOptions, resolveOptions, unknownOptionKeysError } from '../options.js';
import { dateMs, describe, read, readError, UNREADABLE } from '../protocol/describe.js';
import { formatCheck, formatEvent, unixSeconds } from '../protocol/dogstatsd.js';
import { formatNumber } from '../protocol/number.js';
import { sanitize, TABLES, table } from '../protocol/sanitize.js';
import { badTag, badValue, notTags, tagsUnreadable, unreadable } from '../protocol/tags.js';
import { udsDatagramTransport } from '../transports/uds-dgram.js';

import type {
  CountCall,
  DatadogChecks,
  DatadogChecksValues,
  HotShotsCheckOptions,
  HotShotsChildOptions,
  HotShotsEventOptions,
  HotShotsOptions,
  HotShotsTags,
  MetricCall,
  Stat,
  StatsCb,
  TimerCall,
  TimerContext,
} from './types.js';

/** Reserved characters per role, as hot-shots documents them, plus control characters. */
const DOG = {
  name: table(':|', ''),
  key: table(':|,@#', ''),
  value: table('|,@#', ''),
  member: table(':|', ''),
};
// Telegraf carries tags in the name: tag keys and values are cleaned as StatsClient's telegraf format
// cleans them (by Telegraf's own statsd parser: keys lose `:|,=`, values `:|,`); a space ends a name.
const TELEGRAF = {
  name: table(':|,= ', ''),
  key: TABLES.telegraf.tagKey,
  value: TABLES.telegraf.tagValue,
  member: table(':|', ''),
};
type Tables = typeof DOG;
type Report = (err: StatsError) => void;

/**
 * One tag: `key` (undefined for a flag, which replaces nothing) and its text on the wire. `tail`: written
 * after the keyed tags of the same list, as hot-shots orders them (flags, and Telegraf's `k=v` strings,
 * which hot-shots treats as flags).
 */
interface Tag {
  readonly key: string | undefined;
  readonly str: string;
  readonly tail: boolean;
}

const NO_TAGS: readonly Tag[] = [];

/**
 * Tags from hot-shots' two forms, sanitized; Telegraf spells `k:v` as `k=v`. Read once and guarded, as
 * StatsClient reads tags: an entry that is not a tag is reported and dropped (a string, number, boolean
 * or bigint value is printed; `undefined` and `null` are skipped), tags whose reading throws (a getter,
 * a Proxy) are all dropped and reported. Never runs a caller's `toString`.
 */
function parseTags(tags: unknown, telegraf: boolean, t: Tables, report: Report): readonly Tag[] {
  if (tags === undefined || tags === null) return NO_TAGS;
  const out: Tag[] = [];
  try {
    if (Array.isArray(tags)) {
      for (let i = 0; i < tags.length; i++) {
        const tag: unknown = tags[i];
        if (typeof tag !== 'string' || tag === '') {
          badTag(tag, report);
          continue;
        }
        const colon = tag.indexOf(':');
        const eq = telegraf ? tag.indexOf('=') : -1;
        if (eq > 0 && (colon === -1 || eq < colon))
          pushTag(out, tag.slice(0, eq), tag.slice(eq + 1), true, telegraf, t);
        else if (colon > 0) pushTag(out, tag.slice(0, colon), tag.slice(colon + 1), false, telegraf, t);
        else out.push({ key: undefined, str: sanitize(tag, t.key), tail: true });
      }
    } else if (typeof tags === 'object') {
      const keys = Object.keys(tags);
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i] as string;
        const v: unknown = (tags as Record<string, unknown>)[k];
        if (v === undefined || v === null) continue;
        if (typeof v === 'string') pushTag(out, k, v, false, telegraf, t);
        else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint')
          pushTag(out, k, `${v}`, false, telegraf, t);
        else badValue(k, v, report);
      }
    } else notTags(tags, report);
  } catch (err) {
    unreadable(tags, err, report);
    return NO_TAGS;
  }
  return out;
}

/** One `key:value` tag (`key=value` with Telegraf), both sanitized. */
function pushTag(out: Tag[], key: string, value: string, tail: boolean, telegraf: boolean, t: Tables): void {
  const k = sanitize(key, t.key);
  out.push({ key: k, str: `${k}${telegraf ? '=' : ':'}${sanitize(value, t.value)}`, tail });
}

/**
 * hot-shots' merge: `base` without the keys `add` sets, then `add`'s keyed tags grouped by key (in the
 * order each key first appears), then its flags. Repeated keys within each list are kept.
 */
function mergeTags(base: readonly Tag[], add: readonly Tag[]): readonly Tag[] {
  if (add.length === 0) return base;
  let keyed = false;
  for (let i = 0; i < add.length && !keyed; i++) keyed = (add[i] as Tag).key !== undefined;
  if (!keyed) return base.length === 0 ? add : [...base, ...add]; // flags only: appended, nothing replaced
  const groups = new Map<string, Tag[]>();
  for (const t of add) {
    if (t.key === undefined || t.tail) continue;
    const g = groups.get(t.key);
    if (g === undefined) groups.set(t.key, [t]);
    else g.push(t);
  }
  const replaced = new Set<string>(groups.keys());
  for (const t of add) if (t.key !== undefined && t.tail) replaced.add(t.key);
  const out = base.filter((t) => t.key === undefined || !replaced.has(t.key));
  for (const g of groups.values()) out.push(...g);
  for (const t of add) if (t.tail) out.push(t);
  return out;
}

/** `DD_TAGS` (comma- or else space-separated), then the unified service tags. */
function datadogEnvTags(env: NodeJS.ProcessEnv): { tags: string[]; unified: string[] } {
  const tags: string[] = [];
  const raw = env['DD_TAGS'] || env['DATADOG_TAGS'];
  if (raw !== undefined && raw.trim() !== '') {
    for (const s of raw.split(raw.includes(',') ? ',' : /\s+/)) if (s.trim() !== '') tags.push(s.trim());
  }
  const unified: string[] = [];
  const pairs: [string, string][] = [
    ['dd.internal.entity_id', 'DD_ENTITY_ID'],
    ['env', 'DD_ENV'],
    ['service', 'DD_SERVICE'],
    ['version', 'DD_VERSION'],
  ];
  for (const [tag, key] of pairs) {
    const v = env[key];
    if (v !== undefined && v !== '') unified.push(`${tag}:${v}`);
  }
  return { tags, unified };
}

/**
 * `DD_DOGSTATSD_URL` as hot-shots 17 reads it: `udp://host[:port]` (`[v6]:port`; port default 8125),
 * `unix://path` or `unixgram://path`; a string for anything else (why it is ignored).
 */
function dogstatsdUrl(
  url: string,
): { protocol: 'udp'; host: string; port: number } | { protocol: 'uds'; path: string } | string {
  for (const scheme of ['unixgram://', 'unix://']) {
    if (url.startsWith(scheme)) {
      const path = url.slice(scheme.length);
      return path === '' ? `DD_DOGSTATSD_URL ${describe(url)} has no socket path` : { protocol: 'uds', path };
    }
  }
  if (!url.startsWith('udp://')) {
    return `DD_DOGSTATSD_URL ${describe(url)} is not udp://, unix:// or unixgram://`;
  }
  const rest = url.slice('udp://'.length);
  let host = rest;
  let port: string | undefined;
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(rest);
  if (v6 !== null) {
    host = v6[1] as string;
    port = v6[2];
  } else {
    const colon = rest.indexOf(':');
    // one colon separates the port; more are a bare IPv6 address
    if (colon !== -1 && colon === rest.lastIndexOf(':')) {
      host = rest.slice(0, colon);
      port = rest.slice(colon + 1);
    }
  }
  if (host === '') return `DD_DOGSTATSD_URL ${describe(url)} has no host`;
  if (port === undefined) return { protocol: 'udp', host, port: 8125 };
  const n = /^\d+$/.test(port) ? Number(port) : 0;
  if (!(n >= 1 && n <= 65_535)) return `DD_DOGSTATSD_URL ${describe(url)} has an invalid port`;
  return { protocol: 'udp', host, port: n };
}

/** The Linux default gateway from /proc/net/route, or undefined. */
function defaultGateway(): string | undefined {
  const lines = readFileSync('/proc/net/route', 'utf8').split('\n');
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '00000000' && f[2] !== undefined && /^[0-9A-Fa-f]{8}$/.test(f[2])) {
      const n = Number.parseInt(f[2], 16);
      return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
    }
  }
  return undefined;
}

function withDot(prefix: string, t: Uint8Array): string {
  const p = sanitize(prefix, t);
  return p === '' || p.endsWith('.') ? p : `${p}.`;
}
function dotSuffix(suffix: string, t: Uint8Array): string {
  const s = sanitize(suffix, t);
  return s === '' || s.startsWith('.') ? s : `.${s}`;
}

/** An option whose reading threw (a getter, a Proxy trap), with what it threw. */
class Unreadable {
  readonly cause: unknown;
  constructor(cause: unknown) {
    this.cause = cause;
    UNREADABLES.add(this);
  }
}
/** Every {@link Unreadable}: `instanceof` would run a caller's Proxy trap, a WeakSet lookup runs nothing. */
const UNREADABLES = new WeakSet<object>();
function isUnreadable(v: unknown): v is Unreadable {
  return typeof v === 'object' && v !== null && UNREADABLES.has(v);
}

/** The names of a metric call: a non-empty string, or an array of them (read once, guarded); else undefined. */
function statNames(stat: unknown): string[] | undefined {
  if (typeof stat === 'string') return stat === '' ? undefined : [stat];
  try {
    if (!Array.isArray(stat) || stat.length === 0) return undefined;
    const names: string[] = [];
    for (let i = 0; i < stat.length; i++) {
      const n: unknown = stat[i];
      if (typeof n !== 'string' || n === '') return undefined;
      names.push(n);
    }
    return names;
  } catch {
    return undefined; // a revoked Proxy, a throwing entry
  }
}

/**
 * The options of an event or check (`date_happened` and the hot-shots names in `fields`) as
 * formatEvent/formatCheck take them, each read once and guarded; a string says why they are refused. As
 * hot-shots, an empty option is left out, and `date_happened` may be a `Date` or Unix seconds.
 */
function extensionOptions(
  options: unknown,
  what: string,
  fields: Readonly<Record<string, string>>,
): Record<string, unknown> | string | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const out: Record<string, unknown> = {};
  const d = read(options, 'date_happened');
  if (d === UNREADABLE) return `reading ${what} option date_happened threw`;
  if (d !== undefined && d !== null && d !== 0 && d !== '') {
    const seconds = unixSeconds(d, Math.round);
    if (seconds === undefined) return `${what} date_happened ${describe(d)} is not a Date or Unix seconds`;
    out['timestamp'] = seconds;
  }
  for (const from of Object.keys(fields)) {
    const v = read(options, from);
    if (v === UNREADABLE) return `reading ${what} option ${from} threw`;
    if (v !== undefined && v !== null && v !== '') out[fields[from] as string] = v;
  }
  return out;
}

/**
 * What a per-call argument list resolved to, as read (each read once, guarded): `rate` and `timestamp`
 * are checked by the metric call ({@link UNREADABLE} when reading them threw), `tags` by parseTags.
 */
interface CallArgs {
  rate: unknown;
  tags: unknown;
  timestamp: unknown;
  cb: StatsCb | undefined;
}

/** Every option of {@link HotShotsOptions} (a `Record` over its keys: adding one without listing it fails to compile). */
const OPTION_NAMES: readonly string[] = Object.keys({
  host: true,
  port: true,
  prefix: true,
  suffix: true,
  tagPrefix: true,
  tagSeparator: true,
  globalize: true,
  cacheDns: true,
  cacheDnsTtl: true,
  mock: true,
  globalTags: true,
  global_tags: true,
  includeDataDogTags: true,
  maxBufferSize: true,
  bufferFlushInterval: true,
  telegraf: true,
  sampleRate: true,
  errorHandler: true,
  useDefaultRoute: true,
  protocol: true,
  path: true,
  stream: true,
  closingFlushInterval: true,
  tcpGracefulErrorHandling: true,
  tcpGracefulRestartRateLimit: true,
  udsGracefulErrorHandling: true,
  udsGracefulRestartRateLimit: true,
  udsRetryOptions: true,
  udpSocketOptions: true,
  includeDatadogTelemetry: true,
  telemetryFlushInterval: true,
  datadog: true,
  originDetection: true,
  containerID: true,
  cardinality: true,
  aggregation: true,
} satisfies Record<keyof HotShotsOptions, true>);
/** Keys hot-shots passes to its own children (internal to it): known, and not supported here. */
const HOT_SHOTS_INTERNAL: readonly string[] = [
  'socket',
  'bufferHolder',
  'isChild',
  'dnsError',
  '_errorHandlerInitiallyOnSocket',
];
const KNOWN_OPTIONS: readonly string[] = [...OPTION_NAMES, ...HOT_SHOTS_INTERNAL];

/** hot-shots' deprecated positional constructor arguments, in order. */
const POSITIONAL: readonly (keyof HotShotsOptions)[] = [
  'host',
  'port',
  'prefix',
  'suffix',
  'globalize',
  'cacheDns',
  'mock',
  'globalTags',
  'maxBufferSize',
  'bufferFlushInterval',
  'telegraf',
  'sampleRate',
  'protocol',
];

/** The keys that make an object a per-call options object rather than tags (any one of them, as hot-shots decides). */
const CALL_OPTION_KEYS: ReadonlySet<string> = new Set(['sampleRate', 'tags', 'timestamp', 'cardinality']);

/**
 * hot-shots' optional arguments after the value: `sampleRate?, tags? | options?, callback?`, any omitted.
 * Reads each argument once, guarded; never throws. A value in the rate's place that is not a number (a
 * string, a bigint...) is kept as the rate, so the call refuses it.
 */
function callArgs(args: readonly unknown[], from: number): CallArgs {
  const out: CallArgs = { rate: undefined, tags: undefined, timestamp: undefined, cb: undefined };
  for (let i = from; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'function') {
      out.cb = a as StatsCb;
      break;
    }
    if (a === undefined || a === null) continue;
    if (typeof a !== 'object') {
      out.rate = a;
      continue;
    }
    let options = false;
    try {
      if (!Array.isArray(a)) {
        const keys = Object.keys(a);
        for (let k = 0; k < keys.length && !options; k++) options = CALL_OPTION_KEYS.has(keys[k] as string);
      }
    } catch {
      // a revoked Proxy: read as tags, which reports it
    }
    if (!options) {
      out.tags = a;
      continue;
    }
    const rate = read(a, 'sampleRate');
    if (rate !== undefined) out.rate = rate === UNREADABLE ? new Unreadable(readError.cause) : rate;
    const tags = read(a, 'tags');
    if (tags !== undefined) out.tags = tags === UNREADABLE ? new Unreadable(readError.cause) : tags;
    const timestamp = read(a, 'timestamp');
    if (timestamp !== undefined)
      out.timestamp = timestamp === UNREADABLE ? new Unreadable(readError.cause) : timestamp;
  }
  return out;
}

/** State shared by a client and its children. */
interface Shared {
  readonly core: Core;
  readonly telegraf: boolean;
  readonly tables: Tables;
  readonly tagPrefix: string;
  readonly tagSeparator: string;
  /** 0: unbuffered (flush at the end of the tick); > 0: no packet grows past this many bytes. */
  readonly maxBufferSize: number;
  readonly mock: boolean;
  readonly random: () => number;
  readonly warn: (err: StatsError) => void;
  /** Root error handler, or undefined (warnings). */
  readonly errorHandler: ((err: Error) => void) | undefined;
  /** Callbacks waiting for the end-of-tick flush. */
  pending: { cb: StatsCb; bytes: number }[];
  scheduled: boolean;
  /** Errors of the flush in flight go to its callbacks. */
  inflight: { error: Error | undefined } | undefined;
  /** Errors reported synchronously during one call. */
  sync: StatsError[] | undefined;
  /** Errors reported while close() runs. */
  closing: { error: Error | undefined } | undefined;
}

/** The error a hot-shots user expects: a system error (`err.code === 'ENOTFOUND'`) as the socket gave it. */
function userError(err: StatsError): Error {
  try {
    const cause = err.cause as { code?: unknown } | undefined;
    if (cause instanceof Error && typeof cause.code === 'string' && !cause.code.startsWith('STATSKIT_')) {
      return cause;
    }
  } catch {
    // a cause the caller threw (from a getter) that is a Proxy: not a system error
  }
  return err;
}

let childInit:
  | {
      shared: Shared;
      prefix: string;
      suffix: string;
      tags: readonly Tag[];
      handler: ((err: Error) => void) | undefined;
    }
  | undefined;

/**
 * A copy of the options object, each key read once and guarded (a getter or Proxy that throws is
 * reported, its option left out); hot-shots' positional arguments as the options they stand for.
 */
function snapshot(args: readonly unknown[], problems: StatsError[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const first = args[0];
  if (args.length > 1 || typeof first === 'string') {
    for (let i = 0; i < POSITIONAL.length && i < args.length; i++) {
      if (args[i] !== undefined) out[POSITIONAL[i] as string] = args[i];
    }
    if ('mock' in out) out['mock'] = out['mock'] === true;
    return out;
  }
  if (typeof first !== 'object' || first === null) return out;
  let keys: string[];
  try {
    keys = Object.keys(first);
  } catch (err) {
    problems.push(
      new InvalidOptionError('statskit/hot-shots: reading the options threw; using the defaults', {
        cause: err,
      }),
    );
    return out;
  }
  for (const k of keys) {
    const v = read(first, k);
    if (v === UNREADABLE) {
      problems.push(
        new InvalidOptionError(`statskit/hot-shots: reading option ${describe(k)} threw; using the default`, {
          cause: readError.cause,
        }),
      );
    } else out[k] = v;
  }
  return out;
}

/**
 * A drop-in for hot-shots' `StatsD` on statskit's core: the same options, methods, argument forms,
 * callbacks and wire output, but batched, sanitized, byte-counted, and never throwing. Switching is the
 * import line. Differences are listed in docs/migrating.md. Its `[STATS_CLIENT]` is a `StatsClient` on
 * the same socket (with this client's prefix and global tags), so an instance can be passed as the
 * `client` of the Express, Fastify and Koa adapters.
 *
 * @example
 * ```ts
 * import StatsD from '@statskit/client/hot-shots';
 * const client = new StatsD({ prefix: 'myapp', globalTags: { env: 'prod' } });
 * client.increment('requests');
 * client.timing('db.query', 12, ['table:users']);
 * client.close();
 * ```
 */
export class StatsD {
  /** The class itself, so `const { StatsD } = require('@statskit/client/hot-shots')` works as with hot-shots. */
  static readonly StatsD: typeof StatsD = StatsD;
  /** Service check statuses: `client.check('db.up', client.CHECKS.OK)`. */
  readonly CHECKS: DatadogChecks = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 };
  /** In mock mode: every line this client would have sent, in order. Undefined otherwise. */
  mockBuffer: string[] | undefined;
  readonly #s: Shared;
  readonly #prefix: string;
  readonly #suffix: string;
  readonly #tags: readonly Tag[];
  readonly #tagStr: string;
  readonly #handler: ((err: Error) => void) | undefined;
  readonly #rate: number;
  #client: StatsClient | undefined;
  /** Reports a problem of a call that still goes out (a dropped tag): made once, not per call. */
  readonly #report: Report = (e) => this.#deliver(e);

  /** `stat:value|c` (value default 1; it may be left out). */
  declare increment: CountCall;
  /** `stat:-value|c` (value default 1; it may be left out). */
  declare decrement: CountCall;
  /** `stat:ms|ms`; a `Date` is sent as the ms elapsed since it. */
  declare timing: MetricCall<number | Date>;
  /** `stat:value|h`. */
  declare histogram: MetricCall<number>;
  /** `stat:value|d` (DogStatsD). */
  declare distribution: MetricCall<number>;
  /** `stat:value|g`. A negative value is sent as is, as hot-shots does. */
  declare gauge: MetricCall<number>;
  /** `stat:+value|g` / `stat:-value|g`. */
  declare gaugeDelta: MetricCall<number>;
  /** `stat:value|s`. */
  declare set: MetricCall<number | string>;
  /** Alias of {@link StatsD.set}. */
  declare unique: MetricCall<number | string>;
  /**
   * Wrap `func`: each call is timed (`timing`), with any tags the function adds through the
   * {@link TimerContext} passed as its last argument. Throws are timed too.
   */
  declare timer: TimerCall<false>;
  /** Like {@link StatsD.timer} for a function returning a promise: timed when it settles. */
  declare asyncTimer: TimerCall<true>;
  /** Like {@link StatsD.asyncTimer}, sent as a distribution (`|d`). */
  declare asyncDistTimer: TimerCall<true>;

  static {
    // The metric methods, on the prototype: one shared call-signature type declares each of them above.
    const p = StatsD.prototype;
    p.increment = function (this: StatsD, stat: Stat, ...args: unknown[]): void {
      this.#count(stat, args, 1);
    };
    p.decrement = function (this: StatsD, stat: Stat, ...args: unknown[]): void {
      this.#count(stat, args, -1);
    };
    p.timing = function (this: StatsD, stat: Stat, value: unknown, ...rest: unknown[]): void {
      let ms = value;
      if (typeof value === 'object' && value !== null) {
        const t = dateMs(value);
        if (!Number.isNaN(t)) ms = Date.now() - t; // a real Date (anything else is refused as a value)
      }
      this.#send(stat, ms, 'ms', callArgs(rest, 0));
    };
    const simple = (type: string, delta = false) =>
      function (this: StatsD, stat: Stat, value: unknown, ...rest: unknown[]): void {
        this.#send(stat, value, type, callArgs(rest, 0), delta);
      };
    p.histogram = simple('h');
    p.distribution = simple('d');
    p.gauge = simple('g');
    p.gaugeDelta = simple('g', true);
    p.set = simple('s');
    p.unique = simple('s');
    const wrap = (type: 'ms' | 'd', async: boolean) =>
      function (this: StatsD, func: unknown, stat: Stat, ...rest: unknown[]) {
        return this.#wrap(func, stat, rest, type, async);
      };
    p.timer = wrap('ms', false) as TimerCall<false>;
    p.asyncTimer = wrap('ms', true) as TimerCall<true>;
    p.asyncDistTimer = wrap('d', true) as TimerCall<true>;
  }

  /**
   * hot-shots' deprecated positional form, as it still reads it: `new StatsD('127.0.0.1', 8125, 'myapp')`.
   * @deprecated Use the options object.
   */
  constructor(
    host: string,
    port?: number,
    prefix?: string,
    suffix?: string,
    globalize?: boolean,
    cacheDns?: boolean,
    mock?: boolean,
    globalTags?: HotShotsTags,
    maxBufferSize?: number,
    bufferFlushInterval?: number,
    telegraf?: boolean,
    sampleRate?: number,
    protocol?: HotShotsOptions['protocol'],
  );
  /** Never throws: invalid options are reported through `errorHandler` and replaced by their default. */
  constructor(options?: HotShotsOptions);
  constructor(...args: unknown[]) {
    const init = childInit;
    childInit = undefined;
    if (init !== undefined) {
      this.#s = init.shared;
      this.#prefix = init.prefix;
      this.#suffix = init.suffix;
      this.#tags = init.tags;
      this.#handler = init.handler;
      this.#rate = 1;
      if (this.#s.mock) this.mockBuffer = [];
    } else {
      const problems: StatsError[] = [];
      const o = snapshot(args, problems) as HotShotsOptions & Record<string, unknown>;
      const bad = (message: string): void => {
        problems.push(new InvalidOptionError(`statskit/hot-shots: ${message}; using the default`));
      };
      const unsupported = (name: string): void => {
        problems.push(
          new StatsError(
            ErrorCodes.UNSUPPORTED_OPTION,
            `statskit/hot-shots: option ${name} is not supported and has no effect (docs/migrating.md)`,
          ),
        );
      };
      const str = (name: keyof HotShotsOptions): string | undefined => {
        const v = o[name];
        if (v === undefined || typeof v === 'string') return v as string | undefined;
        bad(`${name} must be a string, got ${describe(v)}`);
        return undefined;
      };
      const num = (name: keyof HotShotsOptions, min: number, max: number): number | undefined => {
        const v = o[name];
        if (v === undefined) return undefined;
        if (typeof v === 'number' && v >= min && v <= max) return v;
        bad(`${name} must be a number in [${min}, ${max}], got ${describe(v)}`);
        return undefined;
      };
      const errorHandler = typeof o.errorHandler === 'function' ? o.errorHandler : undefined;
      if (o.errorHandler !== undefined && errorHandler === undefined) bad('errorHandler must be a function');
      const telegraf = o.telegraf === true;
      const tables = telegraf ? TELEGRAF : DOG;
      let rate = num('sampleRate', 0, 1) ?? 1;
      if (rate === 0) {
        bad('sampleRate must be in (0, 1], got 0 (0 would send nothing)');
        rate = 1;
      }
      let protocol = o.protocol;
      if (protocol !== undefined && !['udp', 'tcp', 'uds', 'stream'].includes(protocol)) {
        bad(`protocol must be udp, tcp, uds or stream, got ${describe(protocol)}`);
        protocol = undefined;
      }
      let host = str('host');
      let port = num('port', 1, 65_535);
      if (port !== undefined && !Number.isInteger(port)) bad('port must be an integer');
      let path = str('path');
      const env = process.env;
      // hot-shots reads DD_DOGSTATSD_URL / DD_DOGSTATSD_SOCKET only when no transport option was given
      if (
        !telegraf &&
        o.useDefaultRoute !== true &&
        protocol === undefined &&
        host === undefined &&
        port === undefined &&
        path === undefined &&
        o.stream === undefined
      ) {
        const url = env['DD_DOGSTATSD_URL'] ?? '';
        const fromUrl = url === '' ? undefined : dogstatsdUrl(url);
        if (typeof fromUrl === 'string')
          problems.push(new InvalidOptionError(`statskit/hot-shots: ${fromUrl}; ignored`));
        if (typeof fromUrl === 'object') {
          protocol = fromUrl.protocol;
          if (fromUrl.protocol === 'uds') path = fromUrl.path;
          else {
            host = fromUrl.host;
            port = fromUrl.port;
          }
        } else if ((env['DD_DOGSTATSD_SOCKET'] ?? '').trim() !== '') {
          protocol = 'uds';
          path = env['DD_DOGSTATSD_SOCKET']?.trim();
        }
      }
      if (o.useDefaultRoute === true && host === undefined) {
        try {
          host = defaultGateway();
          if (host === undefined) bad('useDefaultRoute: no default route in /proc/net/route');
        } catch (err) {
          bad(`useDefaultRoute: /proc/net/route could not be read (${(err as Error).message})`);
        }
      }
      const udsDefault = protocol === 'uds';
      let maxBufferSize = num('maxBufferSize', 0, 1 << 20) ?? (udsDefault ? 8192 : 0);
      if (udsDefault && maxBufferSize > 8192) {
        // as hot-shots: the Datadog Agent reads UDS datagrams into an 8 KiB buffer by default
        problems.push(
          new InvalidOptionError(
            `statskit/hot-shots: maxBufferSize ${maxBufferSize} is above 8192, the Datadog Agent's default read buffer for UDS; using 8192`,
          ),
        );
        maxBufferSize = 8192;
      }
      const flushInterval = num('bufferFlushInterval', 1, 2_147_483_647) ?? 1000;
      const packetDefault = protocol === 'uds' ? 8192 : 1432;
      const maxPacketSize = Math.min(
        Math.max(maxBufferSize, packetDefault),
        protocol === 'udp' || protocol === undefined ? 65_507 : 1 << 20,
      );
      // typos say that they are unknown and name the closest option, as StatsClient's do
      const unknown = unknownOptionKeysError(o, KNOWN_OPTIONS, 'option');
      if (unknown !== undefined) {
        problems.push(
          new StatsError(unknown.code, unknown.message.replace(/^statskit:/, 'statskit/hot-shots:')),
        );
      }
      for (const name of HOT_SHOTS_INTERNAL) if (o[name] !== undefined) unsupported(name);
      for (const name of [
        'udsRetryOptions',
        'telemetryFlushInterval',
        'containerID',
        'cardinality',
      ] as const) {
        if (o[name] !== undefined) unsupported(name);
      }
      for (const name of ['includeDatadogTelemetry', 'datadog', 'originDetection', 'aggregation'] as const) {
        if (o[name] !== undefined && o[name] !== false) unsupported(name);
      }
      let family: 0 | 4 | 6 = 0;
      const socketOptions: unknown = o.udpSocketOptions;
      if (typeof socketOptions === 'object' && socketOptions !== null) {
        const type = read(socketOptions, 'type');
        if (type === 'udp6') family = 6;
        else if (type === 'udp4') family = 4;
        let others = false;
        try {
          others = Object.keys(socketOptions).some((k) => k !== 'type');
        } catch {
          others = true;
        }
        if (others) unsupported('udpSocketOptions (other than type)');
      }
      const cacheTtl = num('cacheDnsTtl', 0, 2_147_483_647);
      let s: Shared;
      const route = (err: StatsError): void => {
        if (s.sync !== undefined) s.sync.push(err);
        else if (s.closing !== undefined) s.closing.error ??= userError(err);
        else if (s.inflight !== undefined) s.inflight.error ??= userError(err);
        else this.#deliver(err, errorHandler);
      };
      let transport: ClientOptions['transport'];
      if (o.mock === true)
        transport = { send() {}, flush: () => Promise.resolve(), close: () => Promise.resolve() };
      else if (protocol === 'stream') {
        if (o.stream === undefined) bad("protocol 'stream' needs a stream");
        else transport = o.stream as Writable;
      } else if (protocol === 'uds') {
        transport = udsDatagramTransport({ path: path ?? '/var/run/datadog/dsd.socket' });
      }
      const base: ClientOptions = {
        // what a StatsClient on this core (STATS_CLIENT) writes; this class formats its own lines
        tagFormat: telegraf ? 'telegraf' : 'datadog',
        // hot-shots sends one line per call (and calls back with its bytes)
        aggregate: false,
        maxPacketSize,
        flushInterval,
        onError: route,
        random: Math.random,
        env: {
          DD_AGENT_HOST: env['DD_AGENT_HOST'],
          DD_DOGSTATSD_PORT: env['DD_DOGSTATSD_PORT'],
        },
        ...(transport === undefined
          ? {
              protocol: protocol === 'tcp' ? 'tcp' : 'udp',
              host,
              port,
              family,
              ...(o.cacheDns === true && cacheTtl !== undefined ? { dnsTtl: cacheTtl } : {}),
            }
          : { transport }),
      };
      let resolved: ReturnType<typeof resolveOptions>;
      try {
        resolved = resolveOptions(base);
      } catch (err) {
        problems.push(StatsError.is(err) ? err : new InvalidOptionError(describe(err)));
        resolved = resolveOptions({ ...base, host: undefined, port: undefined, env: {} });
      }
      const report: Report = (err) => problems.push(err);
      const given = o.globalTags ?? o.global_tags;
      const userTags = parseTags(given, telegraf, tables, report);
      let tags = userTags;
      if (o.includeDataDogTags !== false) {
        const dd = datadogEnvTags(env);
        tags = mergeTags(
          mergeTags(tags, parseTags(dd.tags, telegraf, tables, report)),
          parseTags(dd.unified, telegraf, tables, report),
        );
      }
      s = {
        core: new Core(resolved),
        telegraf,
        tables,
        tagPrefix: str('tagPrefix') ?? '#',
        tagSeparator: str('tagSeparator') ?? ',',
        maxBufferSize,
        mock: o.mock === true,
        random: Math.random,
        warn: warningReporter(),
        errorHandler,
        pending: [],
        scheduled: false,
        inflight: undefined,
        sync: undefined,
        closing: undefined,
      };
      this.#s = s;
      this.#prefix = withDot(str('prefix') ?? '', tables.name);
      this.#suffix = dotSuffix(str('suffix') ?? '', tables.name);
      this.#tags = tags;
      this.#handler = errorHandler;
      this.#rate = rate;
      if (s.mock) this.mockBuffer = [];
      if (o.globalize === true) (globalThis as { statsd?: StatsD }).statsd = this;
      if (problems.length > 0) {
        queueMicrotask(() => {
          for (const p of problems) this.#deliver(p, errorHandler);
        });
      }
    }
    this.#tagStr = this.#joinTags(this.#tags);
  }

  /**
   * A `StatsClient` on this client's socket and packets, with its prefix, suffix and global tags (made on
   * first use): what the Express, Fastify and Koa adapters send through when given this client.
   */
  get [STATS_CLIENT](): StatsClient {
    this.#client ??= clientOnCore(
      this.#s.core,
      this.#prefix,
      this.#suffix,
      this.#tags.map((t) => t.str),
    );
    return this.#client;
  }

  /** A client whose prefix goes before this one's, whose suffix after, with more global tags. */
  childClient(options: HotShotsChildOptions = {}): StatsD {
    const s = this.#s;
    const o: unknown = options;
    const opt = (key: string): unknown => {
      if (typeof o !== 'object' || o === null) return undefined;
      const v = read(o, key);
      if (v !== UNREADABLE) return v;
      this.#deliver(
        new InvalidOptionError(`statskit/hot-shots: reading child option ${key} threw; using the default`, {
          cause: readError.cause,
        }),
      );
      return undefined;
    };
    const prefix = opt('prefix');
    const suffix = opt('suffix');
    const globalTags = opt('globalTags');
    const handler = opt('errorHandler');
    if (opt('cardinality') !== undefined) {
      this.#deliver(
        new StatsError(
          ErrorCodes.UNSUPPORTED_OPTION,
          'statskit/hot-shots: child option cardinality is not supported',
        ),
      );
    }
    childInit = {
      shared: s,
      prefix: withDot(typeof prefix === 'string' ? prefix : '', s.tables.name) + this.#prefix,
      suffix: this.#suffix + dotSuffix(typeof suffix === 'string' ? suffix : '', s.tables.name),
      tags: mergeTags(this.#tags, parseTags(globalTags, s.telegraf, s.tables, this.#report)),
      handler: typeof handler === 'function' ? (handler as (err: Error) => void) : this.#handler,
    };
    return new StatsD();
  }

  /**
   * A DogStatsD event. The title is prefixed and suffixed like a name; `text` defaults to the title (a
   * number is printed); `date_happened` (a `Date` or Unix seconds) is rounded to the second. Refused with
   * `telegraf`.
   */
  event(
    title: string,
    text?: string | number,
    options?: HotShotsEventOptions,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  event(title: string, text?: string | number, options?: HotShotsEventOptions, callback?: StatsCb): void;
  event(title: unknown, text?: unknown, options?: unknown, ...rest: unknown[]): void {
    const a = callArgs(rest, 0);
    this.#extension(a, 'event', title, () => {
      const o = extensionOptions(options, 'event', {
        hostname: 'hostname',
        aggregation_key: 'aggregationKey',
        priority: 'priority',
        source_type_name: 'sourceType',
        alert_type: 'alertType',
      });
      if (typeof o === 'string') return { error: o };
      const body =
        text === undefined || text === null || text === ''
          ? title
          : typeof text === 'number' || typeof text === 'bigint' || typeof text === 'boolean'
            ? `${text}`
            : text;
      return formatEvent(
        typeof title === 'string' ? this.#prefix + title + this.#suffix : title,
        body,
        o,
        this.#tagSuffix(a.tags, this.#s.tagPrefix, this.#s.tagSeparator),
      );
    });
  }

  /** A DogStatsD service check; the name is prefixed and suffixed. Refused with `telegraf`. */
  check(
    name: string,
    status: DatadogChecksValues,
    options?: HotShotsCheckOptions,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  check(name: unknown, status: unknown, options?: unknown, ...rest: unknown[]): void {
    const a = callArgs(rest, 0);
    this.#extension(a, 'service check', name, () => {
      const o = extensionOptions(options, 'service check', { hostname: 'hostname', message: 'message' });
      if (typeof o === 'string') return { error: o };
      return formatCheck(
        typeof name === 'string' ? sanitize(this.#prefix + name + this.#suffix, this.#s.tables.name) : name,
        status,
        o,
        this.#tagSuffix(a.tags, '#', ','),
      );
    });
  }

  /** Send what is buffered now; `callback` once the socket has it. */
  flush(callback?: StatsCb): void {
    this.#tick();
    this.#s.core.flush().then(
      () => {
        if (typeof callback === 'function') this.#call(callback, null);
      },
      (err: unknown) => {
        if (typeof callback === 'function') this.#call(callback, err as Error);
      },
    );
  }

  /**
   * Flush everything, then release the socket; `callback` once done, with the first error if any.
   * Later metric calls are dropped with `STATSKIT_ERR_CLOSED` (to their callback or `errorHandler`).
   */
  close(callback?: (error?: Error) => void): void {
    const s = this.#s;
    this.#tick();
    const closing = { error: undefined as Error | undefined };
    if (!s.core.closed) s.closing = closing;
    s.core.close().then(() => {
      if (s.closing === closing) s.closing = undefined;
      if (typeof callback === 'function') {
        if (closing.error === undefined) this.#call(callback as StatsCb);
        else this.#call(callback as StatsCb, closing.error);
      }
    });
  }

  #deliver(err: StatsError, handler = this.#handler): void {
    const e = userError(err);
    if (handler === undefined) {
      this.#s.warn(err);
      return;
    }
    try {
      handler(e);
    } catch (thrown) {
      this.#s.warn(
        new StatsError(ErrorCodes.CALLBACK, 'statskit/hot-shots: errorHandler threw', { cause: thrown }),
      );
    }
  }

  /** Call a user callback, never letting it throw into statskit. */
  #call(cb: StatsCb, err?: Error | null, bytes?: number): void {
    try {
      if (err === undefined) cb();
      else if (bytes === undefined) cb(err);
      else cb(err, bytes);
    } catch (thrown) {
      this.#deliver(
        new StatsError(ErrorCodes.CALLBACK, 'statskit/hot-shots: a callback threw', { cause: thrown }),
      );
    }
  }

  /** An error of one call: to its callback, else to the error handler. */
  #fail(a: CallArgs, err: StatsError): void {
    if (a.cb !== undefined) this.#call(a.cb, userError(err));
    else this.#deliver(err);
  }

  /** A metric call refused: `message` follows the metric's description. */
  #refuse(
    a: CallArgs,
    stat: unknown,
    code: ConstructorParameters<typeof InvalidMetricError>[0],
    message: string,
    cause?: unknown,
  ): void {
    this.#fail(
      a,
      new InvalidMetricError(
        code,
        `statskit/hot-shots: metric ${describe(stat)} ${message}; not sent`,
        stat,
        cause === undefined ? undefined : { cause },
      ),
    );
  }

  #count(stat: unknown, args: unknown[], sign: 1 | -1): void {
    const first = args[0];
    // the value may be left out: increment('x', ['tag']), increment('x', cb); null and undefined are 1
    // (as hot-shots); another primitive in its place (a string, a bigint) is a value, and refused
    const hasValue =
      typeof first === 'number' ||
      first === null ||
      (first === undefined && args.length > 1) ||
      (typeof first !== 'object' && typeof first !== 'function' && first !== undefined);
    const value = first === undefined || first === null || !hasValue ? 1 : first;
    this.#send(
      stat,
      typeof value === 'number' && sign === -1 ? -value : value,
      'c',
      callArgs(args, hasValue ? 1 : 0),
    );
  }

  #joinTags(tags: readonly Tag[]): string {
    if (tags.length === 0) return '';
    const s = this.#s;
    if (s.telegraf) {
      let out = '';
      for (const t of tags) out += `,${t.str}`;
      return out;
    }
    let out = `|${s.tagPrefix}`;
    for (let i = 0; i < tags.length; i++) out += (i === 0 ? '' : s.tagSeparator) + (tags[i] as Tag).str;
    return out;
  }

  /** The call's tags over the client's, or the client's: what reading them threw is reported. */
  #callTags(callTags: unknown, name: unknown): readonly Tag[] {
    if (callTags === undefined) return this.#tags;
    if (isUnreadable(callTags)) {
      tagsUnreadable(this.#report, name, 'options.tags', callTags.cause);
      return this.#tags;
    }
    return mergeTags(this.#tags, parseTags(callTags, this.#s.telegraf, this.#s.tables, this.#report));
  }

  #tagSuffix(callTags: unknown, prefix: string, separator: string): string {
    const tags = this.#callTags(callTags, 'event');
    if (tags.length === 0) return '';
    return `|${prefix}${tags.map((t) => t.str).join(separator)}`;
  }

  #extension(a: CallArgs, what: string, name: unknown, format: () => ReturnType<typeof formatEvent>): void {
    const s = this.#s;
    let err: StatsError | undefined;
    if (s.core.closed)
      err = new StatsError(ErrorCodes.CLOSED, `statskit/hot-shots: ${what} after close(); dropped`);
    else if (s.telegraf) {
      err = new InvalidMetricError(
        ErrorCodes.INVALID_VALUE,
        `statskit/hot-shots: a ${what} is not supported by Telegraf; not sent`,
        what,
      );
    } else {
      const f = format();
      if ('error' in f)
        err = new InvalidMetricError(
          f.badName === true ? ErrorCodes.INVALID_NAME : ErrorCodes.INVALID_VALUE,
          `statskit/hot-shots: ${f.error}; not sent`,
          name,
        );
      else {
        this.#write([f.line], [Buffer.byteLength(f.line)], a.cb);
        return;
      }
    }
    this.#fail(a, err);
  }

  /**
   * One metric: checked as StatsClient checks it (a rate must be a number in (0, 1], a value a finite
   * number, a timestamp a `Date` or Unix seconds), then one line per name.
   */
  #send(
    stat: unknown,
    value: unknown,
    type: string,
    a: CallArgs,
    delta = false,
    extraTags?: readonly Tag[],
  ): void {
    const s = this.#s;
    if (s.core.closed) {
      this.#fail(
        a,
        new StatsError(
          ErrorCodes.CLOSED,
          `statskit/hot-shots: metric ${describe(stat)} after close(); dropped`,
        ),
      );
      return;
    }
    // the rate is read once, as a number, and that number is what is printed
    const rate = a.rate === undefined ? this.#rate : a.rate;
    if (typeof rate !== 'number' || !(rate > 0 && rate <= 1)) {
      if (isUnreadable(rate))
        this.#refuse(a, stat, ErrorCodes.INVALID_RATE, 'options.sampleRate could not be read', rate.cause);
      else
        this.#refuse(
          a,
          stat,
          ErrorCodes.INVALID_RATE,
          `has sample rate ${describe(rate)}, not a number in (0, 1]`,
        );
      return;
    }
    let valueStr: string;
    if (typeof value === 'number' && value - value === 0) {
      valueStr = delta && value >= 0 ? `+${formatNumber(value)}` : formatNumber(value);
    } else if (type === 's' && typeof value === 'string' && value !== '') {
      valueStr = sanitize(value, s.tables.member);
    } else {
      this.#refuse(a, stat, ErrorCodes.INVALID_VALUE, `has value ${describe(value)}`);
      return;
    }
    let ts = '';
    const t = a.timestamp;
    if (t !== undefined) {
      if (isUnreadable(t)) {
        this.#refuse(a, stat, ErrorCodes.INVALID_VALUE, 'options.timestamp could not be read', t.cause);
        return;
      }
      const seconds = unixSeconds(t, Math.round);
      if (seconds === undefined) {
        this.#refuse(
          a,
          stat,
          ErrorCodes.INVALID_VALUE,
          `has timestamp ${describe(t)}, not a Date or Unix seconds`,
        );
        return;
      }
      // Telegraf has no timestamp field (hot-shots leaves it out too)
      if (!s.telegraf) ts = `|T${seconds}`;
    }
    const names = statNames(stat);
    if (names === undefined) {
      this.#refuse(a, stat, ErrorCodes.INVALID_NAME, 'is not a non-empty string or an array of them');
      return;
    }
    if (rate < 1 && s.random() >= rate) {
      if (a.cb !== undefined) this.#call(a.cb);
      return;
    }
    let tagStr = this.#tagStr;
    if (a.tags !== undefined || extraTags !== undefined) {
      let tags = this.#callTags(a.tags, stat);
      if (extraTags !== undefined) tags = mergeTags(tags, extraTags);
      tagStr = this.#joinTags(tags);
    }
    const tail = `:${valueStr}|${type}${rate < 1 ? `|@${rate}` : ''}${ts}`;
    const lines: string[] = [];
    const bytes: number[] = [];
    for (const n of names) {
      const name = this.#prefix + sanitize(n, s.tables.name) + this.#suffix;
      const line = s.telegraf ? name + tagStr + tail : name + tail + tagStr;
      lines.push(line);
      bytes.push(Buffer.byteLength(line));
    }
    this.#write(lines, bytes, a.cb);
  }

  /** Hand lines to the core (or mockBuffer); then the callback, as hot-shots' mode says. */
  #write(lines: readonly string[], bytes: readonly number[], cb: StatsCb | undefined): void {
    const s = this.#s;
    let total = 0;
    for (const b of bytes) total += b;
    if (s.mock) {
      for (const l of lines) this.mockBuffer?.push(l);
      if (cb !== undefined) this.#call(cb, null, total);
      return;
    }
    s.sync = [];
    const core = s.core;
    const max = s.maxBufferSize;
    for (let i = 0; i < lines.length; i++) {
      const b = bytes[i] as number;
      // check before appending: a line that would take the packet past maxBufferSize starts a new one
      if (max > 0) {
        const size = core.batcher.size;
        if (size > 0 && size + 1 + b > max) core.batcher.flush();
      }
      core.write(lines[i] as string, b, 1, lines[i] as string);
      if (max > 0 && core.batcher.size >= max) core.batcher.flush();
    }
    const errors = s.sync;
    s.sync = undefined;
    const first = errors[0];
    if (first !== undefined) {
      if (cb !== undefined) this.#call(cb, userError(first));
      for (const e of cb === undefined ? errors : errors.slice(1)) this.#deliver(e);
      return;
    }
    if (max > 0) {
      if (cb !== undefined) this.#call(cb);
      return;
    }
    if (cb !== undefined) s.pending.push({ cb, bytes: total });
    if (!s.scheduled) {
      s.scheduled = true;
      setImmediate(() => this.#tick());
    }
  }

  /** Unbuffered mode: send what this tick wrote; then its callbacks, with the flush's first error. */
  #tick(): void {
    const s = this.#s;
    s.scheduled = false;
    const batch = s.pending;
    if (batch.length === 0) {
      if (!s.core.closed) s.core.batcher.flush();
      return;
    }
    s.pending = [];
    const inflight = { error: undefined as Error | undefined };
    s.inflight = inflight;
    s.core.flush().then(() => {
      if (s.inflight === inflight) s.inflight = undefined;
      for (const p of batch) {
        if (inflight.error === undefined) this.#call(p.cb, null, p.bytes);
        else this.#call(p.cb, inflight.error);
      }
    });
  }

  #wrap(
    func: unknown,
    stat: unknown,
    rest: unknown[],
    type: 'ms' | 'd',
    async: boolean,
  ): (...args: unknown[]) => unknown {
    const a = callArgs(rest, 0);
    if (typeof func !== 'function') {
      // as StatsClient's time(): reported, and the wrapper (which has nothing to run) returns undefined
      this.#fail(
        a,
        new InvalidMetricError(
          ErrorCodes.INVALID_VALUE,
          `statskit/hot-shots: timer ${describe(stat)} needs a function, got ${describe(func)}; nothing is timed`,
          stat,
        ),
      );
      return () => undefined;
    }
    return (...args: unknown[]): unknown => {
      const added: unknown[] = [];
      const ctx: TimerContext = {
        addTags: (tags) => {
          added.push(tags);
        },
      };
      const start = performance.now();
      const record = (): void => {
        const ms = Math.round((performance.now() - start) * 1000) / 1000;
        let extra: readonly Tag[] | undefined;
        for (const t of added) {
          const list = parseTags(t, this.#s.telegraf, this.#s.tables, this.#report);
          extra = extra === undefined ? list : mergeTags(extra, list);
        }
        this.#send(stat, ms, type, a, false, extra);
      };
      if (!async) {
        try {
          return (func as (...x: unknown[]) => unknown)(...args, ctx);
        } finally {
          record();
        }
      }
      let p: unknown;
      try {
        p = (func as (...x: unknown[]) => unknown)(...args, ctx);
      } catch (err) {
        record();
        throw err;
      }
      return Promise.resolve(p).finally(record);
    };
  }
}
