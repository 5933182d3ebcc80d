import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Core, warningReporter } from '../core.js';
import { ErrorCodes, InvalidMetricError, InvalidOptionError, StatsError } from '../errors.js';
import { type ClientOptions, resolveOptions } from '../options.js';
import { describe } from '../protocol/describe.js';
import { formatCheck, formatEvent } from '../protocol/dogstatsd.js';
import { formatNumber } from '../protocol/number.js';
import { sanitize } from '../protocol/sanitize.js';
import { udsDatagramTransport } from '../transports/uds-dgram.js';

import type {
  DatadogChecks,
  DatadogChecksValues,
  HotShotsCheckOptions,
  HotShotsChildOptions,
  HotShotsEventOptions,
  HotShotsMetricOptions,
  HotShotsOptions,
  HotShotsTags,
  StatsCb,
  TimerContext,
} from './types.js';

/** Reserved characters per role, as hot-shots documents them, plus control characters. */
function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0; c < 0x20; c++) t[c] = 1;
  t[0x7f] = 1;
  for (const ch of chars) t[ch.charCodeAt(0)] = 1;
  return t;
}
const DOG = { name: table(':|'), key: table(':|,@#'), value: table('|,@#'), member: table(':|') };
// Telegraf carries tags in the name: `,` `=` and spaces would split it.
const TELEGRAF = { name: table(':|,= '), key: table(':|,= '), value: table(':|,= '), member: table(':|') };
type Tables = typeof DOG;

/** One tag: its key (a flag's whole text) and its text on the wire. */
interface Tag {
  readonly key: string;
  readonly str: string;
}

/** Tags from hot-shots' two forms, sanitized; Telegraf spells `k:v` as `k=v`. */
function parseTags(tags: unknown, telegraf: boolean, t: Tables): Tag[] {
  const out: Tag[] = [];
  const sep = telegraf ? '=' : ':';
  const add = (key: string, value: string | undefined): void => {
    const k = sanitize(key, t.key);
    if (value === undefined) out.push({ key: k, str: k });
    else out.push({ key: k, str: `${k}${sep}${sanitize(value, t.value)}` });
  };
  if (Array.isArray(tags)) {
    for (const tag of tags) {
      if (typeof tag !== 'string') continue;
      let i = tag.indexOf(':');
      if (telegraf) {
        const eq = tag.indexOf('=');
        if (eq !== -1 && (i === -1 || eq < i)) i = eq;
      }
      if (i === -1) add(tag, undefined);
      else add(tag.slice(0, i), tag.slice(i + 1));
    }
  } else if (typeof tags === 'object' && tags !== null) {
    for (const k of Object.keys(tags)) add(k, String((tags as Record<string, unknown>)[k]));
  }
  return out;
}

/** `base` without the keys `add` sets, then `add` (repeated keys within each list are kept). */
function mergeTags(base: readonly Tag[], add: readonly Tag[]): Tag[] {
  if (add.length === 0) return [...base];
  const keys = new Set(add.map((t) => t.key));
  return [...base.filter((t) => !keys.has(t.key)), ...add];
}

/** `DD_TAGS` (comma- or else space-separated), then the unified service tags. */
function datadogEnvTags(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const raw = env['DD_TAGS'] ?? env['DATADOG_TAGS'];
  if (raw !== undefined && raw.trim() !== '') {
    for (const s of raw.split(raw.includes(',') ? ',' : /\s+/)) if (s.trim() !== '') out.push(s.trim());
  }
  const pairs: [string, string][] = [
    ['dd.internal.entity_id', 'DD_ENTITY_ID'],
    ['env', 'DD_ENV'],
    ['service', 'DD_SERVICE'],
    ['version', 'DD_VERSION'],
  ];
  for (const [tag, key] of pairs) {
    const v = env[key];
    if (v !== undefined && v !== '') out.push(`${tag}:${v}`);
  }
  return out;
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

/**
 * The arguments of a function wrapped by `timer()`: without the trailing {@link TimerContext} the wrapper
 * adds (the function may declare it or not).
 */
export type WithoutContext<A extends unknown[]> = A extends [...infer P, TimerContext] ? P | A : A;

/** What a per-call argument list resolved to. */
interface CallArgs {
  rate: number | undefined;
  tags: unknown;
  timestamp: Date | number | undefined;
  cb: StatsCb | undefined;
}

/** Every option of {@link HotShotsOptions} (a `Record` over its keys: adding one without listing it fails to compile). */
const OPTION_NAMES: ReadonlySet<string> = new Set(
  Object.keys({
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
  } satisfies Record<keyof HotShotsOptions, true>),
);

const OPTION_KEYS = new Set(['sampleRate', 'tags', 'timestamp', 'cardinality']);

/** An object that is a per-call options object rather than a tags object. */
function isOptions(o: object): boolean {
  const keys = Object.keys(o);
  return keys.length > 0 && keys.every((k) => OPTION_KEYS.has(k));
}

/** hot-shots' optional arguments after the value: `sampleRate?, tags? | options?, callback?`, any omitted. */
function callArgs(args: readonly unknown[], from: number): CallArgs {
  const out: CallArgs = { rate: undefined, tags: undefined, timestamp: undefined, cb: undefined };
  for (let i = from; i < args.length; i++) {
    const a = args[i];
    if (typeof a === 'function') {
      out.cb = a as StatsCb;
      break;
    }
    if (typeof a === 'number') out.rate = a;
    else if (Array.isArray(a)) out.tags = a;
    else if (typeof a === 'object' && a !== null) {
      if (isOptions(a)) {
        const o = a as HotShotsMetricOptions;
        if (o.sampleRate !== undefined) out.rate = o.sampleRate;
        if (o.tags !== undefined) out.tags = o.tags;
        if (o.timestamp !== undefined) out.timestamp = o.timestamp;
      } else out.tags = a;
    }
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
  /** 0: unbuffered (flush at the end of the tick); > 0: flush once more than this many bytes wait. */
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
  const cause = err.cause as { code?: unknown } | undefined;
  if (cause instanceof Error && typeof cause.code === 'string' && !cause.code.startsWith('STATSKIT_')) {
    return cause;
  }
  return err;
}

let childInit:
  | {
      shared: Shared;
      prefix: string;
      suffix: string;
      tags: Tag[];
      handler: ((err: Error) => void) | undefined;
    }
  | undefined;

/**
 * A drop-in for hot-shots' `StatsD` on statskit's core: the same options, methods, argument forms,
 * callbacks and wire output, but batched, sanitized, byte-counted, and never throwing. Switching is the
 * import line. Differences are listed in docs/migrating.md.
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
  readonly #tags: Tag[];
  readonly #tagStr: string;
  readonly #handler: ((err: Error) => void) | undefined;
  readonly #rate: number;

  /** Never throws: invalid options are reported through `errorHandler` and replaced by their default. */
  constructor(options?: HotShotsOptions) {
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
      const o: HotShotsOptions = typeof options === 'object' && options !== null ? options : {};
      const problems: StatsError[] = [];
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
      const port = num('port', 1, 65_535);
      if (port !== undefined && !Number.isInteger(port)) bad('port must be an integer');
      let path = str('path');
      const env = process.env;
      // hot-shots reads DD_DOGSTATSD_URL / DD_DOGSTATSD_SOCKET only when no transport option was given
      if (
        !telegraf &&
        protocol === undefined &&
        host === undefined &&
        port === undefined &&
        path === undefined &&
        o.stream === undefined
      ) {
        const url = env['DD_DOGSTATSD_URL'] ?? '';
        const m = /^(unix|unixgram):\/\/(.+)$/.exec(url);
        if (m !== null) {
          protocol = 'uds';
          path = m[2];
        } else if (!url.startsWith('udp://') && (env['DD_DOGSTATSD_SOCKET'] ?? '') !== '') {
          protocol = 'uds';
          path = env['DD_DOGSTATSD_SOCKET'];
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
      const maxBufferSize = num('maxBufferSize', 0, 1 << 20) ?? (udsDefault ? 8192 : 0);
      const flushInterval = num('bufferFlushInterval', 1, 2_147_483_647) ?? 1000;
      const packetDefault = protocol === 'uds' ? 8192 : 1432;
      const maxPacketSize = Math.min(
        Math.max(maxBufferSize, packetDefault),
        protocol === 'udp' || protocol === undefined ? 65_507 : 1 << 20,
      );
      for (const key of Object.keys(o)) {
        // hot-shots' `socket`, `bufferHolder`, `isChild` (internal to it) and typos: never silently ignored
        if (!OPTION_NAMES.has(key)) unsupported(key);
      }
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
      if (o.udpSocketOptions !== undefined) {
        const { type, ...rest } = o.udpSocketOptions;
        if (type === 'udp6') family = 6;
        else if (type === 'udp4') family = 4;
        if (Object.keys(rest).length > 0) unsupported('udpSocketOptions (other than type)');
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
        tagFormat: 'none',
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
        problems.push(StatsError.is(err) ? err : new InvalidOptionError(String(err)));
        resolved = resolveOptions({ ...base, host: undefined, port: undefined, env: {} });
      }
      const userTags = parseTags(o.globalTags, telegraf, tables);
      const ddTags = o.includeDataDogTags === false ? [] : parseTags(datadogEnvTags(env), telegraf, tables);
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
      this.#tags = [...userTags, ...ddTags];
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

  /** A client whose prefix goes before this one's, whose suffix after, with more global tags. */
  childClient(options: HotShotsChildOptions = {}): StatsD {
    const s = this.#s;
    const o = typeof options === 'object' && options !== null ? options : {};
    if (o.cardinality !== undefined) {
      this.#deliver(
        new StatsError(
          ErrorCodes.UNSUPPORTED_OPTION,
          'statskit/hot-shots: child option cardinality is not supported',
        ),
      );
    }
    childInit = {
      shared: s,
      prefix: withDot(typeof o.prefix === 'string' ? o.prefix : '', s.tables.name) + this.#prefix,
      suffix: this.#suffix + dotSuffix(typeof o.suffix === 'string' ? o.suffix : '', s.tables.name),
      tags: mergeTags(this.#tags, parseTags(o.globalTags, s.telegraf, s.tables)),
      handler: typeof o.errorHandler === 'function' ? o.errorHandler : this.#handler,
    };
    return new StatsD();
  }

  /** `stat:value|c` (value default 1; it may be left out). */
  increment(stat: string | readonly string[], tags?: HotShotsTags, callback?: StatsCb): void;
  increment(stat: string | readonly string[], callback?: StatsCb): void;
  increment(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  increment(stat: string | readonly string[], value: number, tags?: HotShotsTags, callback?: StatsCb): void;
  increment(stat: string | readonly string[], value: number, callback?: StatsCb): void;
  increment(stat: string | readonly string[], value: number, sampleRate?: number, callback?: StatsCb): void;
  increment(
    stat: string | readonly string[],
    value: number,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  increment(stat: string | readonly string[], ...args: unknown[]): void {
    this.#count(stat, args, 1);
  }

  /** `stat:-value|c` (value default 1; it may be left out). */
  decrement(stat: string | readonly string[], tags?: HotShotsTags, callback?: StatsCb): void;
  decrement(stat: string | readonly string[], callback?: StatsCb): void;
  decrement(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  decrement(stat: string | readonly string[], value: number, tags?: HotShotsTags, callback?: StatsCb): void;
  decrement(stat: string | readonly string[], value: number, callback?: StatsCb): void;
  decrement(stat: string | readonly string[], value: number, sampleRate?: number, callback?: StatsCb): void;
  decrement(
    stat: string | readonly string[],
    value: number,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  decrement(stat: string | readonly string[], ...args: unknown[]): void {
    this.#count(stat, args, -1);
  }

  /** `stat:ms|ms`; a `Date` is sent as the ms elapsed since it. */
  timing(
    stat: string | readonly string[],
    value: number | Date,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  timing(
    stat: string | readonly string[],
    value: number | Date,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  timing(stat: string | readonly string[], value: number | Date, callback?: StatsCb): void;
  timing(
    stat: string | readonly string[],
    value: number | Date,
    sampleRate?: number,
    callback?: StatsCb,
  ): void;
  timing(
    stat: string | readonly string[],
    value: number | Date,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  timing(stat: string | readonly string[], value: number | Date, ...rest: unknown[]): void {
    const ms = value instanceof Date ? Date.now() - value.getTime() : value;
    this.#send(stat, ms, 'ms', callArgs(rest, 0));
  }

  /** `stat:value|h`. */
  histogram(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  histogram(stat: string | readonly string[], value: number, tags?: HotShotsTags, callback?: StatsCb): void;
  histogram(stat: string | readonly string[], value: number, callback?: StatsCb): void;
  histogram(stat: string | readonly string[], value: number, sampleRate?: number, callback?: StatsCb): void;
  histogram(
    stat: string | readonly string[],
    value: number,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  histogram(stat: string | readonly string[], value: number, ...rest: unknown[]): void {
    this.#send(stat, value, 'h', callArgs(rest, 0));
  }

  /** `stat:value|d` (DogStatsD). */
  distribution(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  distribution(
    stat: string | readonly string[],
    value: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  distribution(stat: string | readonly string[], value: number, callback?: StatsCb): void;
  distribution(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    callback?: StatsCb,
  ): void;
  distribution(
    stat: string | readonly string[],
    value: number,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  distribution(stat: string | readonly string[], value: number, ...rest: unknown[]): void {
    this.#send(stat, value, 'd', callArgs(rest, 0));
  }

  /** `stat:value|g`. A negative value is sent as is, as hot-shots does. */
  gauge(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  gauge(stat: string | readonly string[], value: number, tags?: HotShotsTags, callback?: StatsCb): void;
  gauge(stat: string | readonly string[], value: number, callback?: StatsCb): void;
  gauge(stat: string | readonly string[], value: number, sampleRate?: number, callback?: StatsCb): void;
  gauge(
    stat: string | readonly string[],
    value: number,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  gauge(stat: string | readonly string[], value: number, ...rest: unknown[]): void {
    this.#send(stat, value, 'g', callArgs(rest, 0));
  }

  /** `stat:+value|g` / `stat:-value|g`. */
  gaugeDelta(
    stat: string | readonly string[],
    value: number,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  gaugeDelta(stat: string | readonly string[], value: number, tags?: HotShotsTags, callback?: StatsCb): void;
  gaugeDelta(stat: string | readonly string[], value: number, callback?: StatsCb): void;
  gaugeDelta(stat: string | readonly string[], value: number, sampleRate?: number, callback?: StatsCb): void;
  gaugeDelta(
    stat: string | readonly string[],
    value: number,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  gaugeDelta(stat: string | readonly string[], value: number, ...rest: unknown[]): void {
    this.#send(stat, value, 'g', callArgs(rest, 0), true);
  }

  /** `stat:value|s`. */
  set(
    stat: string | readonly string[],
    value: number | string,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  set(
    stat: string | readonly string[],
    value: number | string,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  set(stat: string | readonly string[], value: number | string, callback?: StatsCb): void;
  set(
    stat: string | readonly string[],
    value: number | string,
    sampleRate?: number,
    callback?: StatsCb,
  ): void;
  set(
    stat: string | readonly string[],
    value: number | string,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  set(stat: string | readonly string[], value: number | string, ...rest: unknown[]): void {
    this.#send(stat, value, 's', callArgs(rest, 0));
  }

  /** Alias of {@link StatsD.set}. */
  unique(
    stat: string | readonly string[],
    value: number | string,
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  unique(
    stat: string | readonly string[],
    value: number | string,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  unique(stat: string | readonly string[], value: number | string, callback?: StatsCb): void;
  unique(
    stat: string | readonly string[],
    value: number | string,
    sampleRate?: number,
    callback?: StatsCb,
  ): void;
  unique(
    stat: string | readonly string[],
    value: number | string,
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): void;
  unique(stat: string | readonly string[], value: number | string, ...rest: unknown[]): void {
    this.#send(stat, value, 's', callArgs(rest, 0));
  }

  /**
   * Wrap `func`: each call is timed (`timing`), with any tags the function adds through the
   * {@link TimerContext} passed as its last argument. Throws are timed too.
   */
  timer<A extends unknown[], R>(
    func: (...args: A) => R,
    stat: string | readonly string[],
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => R;
  timer<A extends unknown[], R>(
    func: (...args: A) => R,
    stat: string | readonly string[],
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => R;
  timer<A extends unknown[], R>(
    func: (...args: A) => R,
    stat: string | readonly string[],
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => R;
  timer<A extends unknown[], R>(
    func: (...args: A) => R,
    stat: string | readonly string[],
    sampleRate?: number,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => R;
  timer<A extends unknown[], R>(
    func: (...args: A) => R,
    stat: string | readonly string[],
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => R;
  timer<A extends unknown[], R>(
    func: (...args: A) => R,
    stat: string | readonly string[],
    ...rest: unknown[]
  ): (...args: WithoutContext<A>) => R {
    return this.#wrap(func, stat, rest, 'ms', false) as (...args: WithoutContext<A>) => R;
  }

  /** Like {@link StatsD.timer} for a function returning a promise: timed when it settles. */
  asyncTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    sampleRate?: number,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    ...rest: unknown[]
  ): (...args: WithoutContext<A>) => Promise<R> {
    return this.#wrap(func, stat, rest, 'ms', true) as (...args: WithoutContext<A>) => Promise<R>;
  }

  /** Like {@link StatsD.asyncTimer}, sent as a distribution (`|d`). */
  asyncDistTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    sampleRate?: number,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncDistTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncDistTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncDistTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    sampleRate?: number,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncDistTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    options?: HotShotsMetricOptions,
    callback?: StatsCb,
  ): (...args: WithoutContext<A>) => Promise<R>;
  asyncDistTimer<A extends unknown[], R>(
    func: (...args: A) => Promise<R>,
    stat: string | readonly string[],
    ...rest: unknown[]
  ): (...args: WithoutContext<A>) => Promise<R> {
    return this.#wrap(func, stat, rest, 'd', true) as (...args: WithoutContext<A>) => Promise<R>;
  }

  /**
   * A DogStatsD event. The title is prefixed and suffixed like a name; `text` defaults to the title;
   * `date_happened` is rounded to the second. Refused with `telegraf`.
   */
  event(
    title: string,
    text?: string,
    options?: HotShotsEventOptions,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  event(title: string, text?: string, options?: HotShotsEventOptions, callback?: StatsCb): void;
  event(title: string, text?: string, options?: HotShotsEventOptions, ...rest: unknown[]): void {
    const a = callArgs(rest, 0);
    const o = options ?? {};
    this.#extension(a, 'event', () =>
      formatEvent(
        typeof title === 'string' ? this.#prefix + title + this.#suffix : title,
        text ?? title,
        {
          timestamp: o.date_happened === undefined ? undefined : Math.round(o.date_happened.getTime() / 1000),
          hostname: o.hostname,
          aggregationKey: o.aggregation_key,
          priority: o.priority,
          sourceType: o.source_type_name,
          alertType: o.alert_type,
        },
        this.#tagSuffix(a.tags, this.#s.tagPrefix, this.#s.tagSeparator),
      ),
    );
  }

  /** A DogStatsD service check; the name is prefixed and suffixed. Refused with `telegraf`. */
  check(
    name: string,
    status: DatadogChecksValues,
    options?: HotShotsCheckOptions,
    tags?: HotShotsTags,
    callback?: StatsCb,
  ): void;
  check(name: string, status: DatadogChecksValues, options?: HotShotsCheckOptions, ...rest: unknown[]): void {
    const a = callArgs(rest, 0);
    const o = options ?? {};
    this.#extension(a, 'service check', () =>
      formatCheck(
        typeof name === 'string' ? sanitize(this.#prefix + name + this.#suffix, this.#s.tables.name) : name,
        status,
        {
          timestamp: o.date_happened === undefined ? undefined : Math.round(o.date_happened.getTime() / 1000),
          hostname: o.hostname,
          message: o.message,
        },
        this.#tagSuffix(a.tags, '#', ','),
      ),
    );
  }

  /** Send what is buffered now; `callback` once the socket has it. */
  flush(callback?: StatsCb): void {
    this.#tick();
    this.#s.core.flush().then(
      () => callback?.(null),
      (err: unknown) => callback?.(err as Error),
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
      if (callback !== undefined) {
        if (closing.error === undefined) callback();
        else callback(closing.error);
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

  #count(stat: string | readonly string[], args: unknown[], sign: 1 | -1): void {
    const first = args[0];
    // the value may be left out: increment('x', ['tag']), increment('x', cb)
    const hasValue = typeof first === 'number' || first === null || (first === undefined && args.length > 1);
    const value = typeof first === 'number' ? first : 1;
    this.#send(stat, sign === 1 ? value : -value, 'c', callArgs(args, hasValue ? 1 : 0));
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

  #tagSuffix(callTags: unknown, prefix: string, separator: string): string {
    const tags =
      callTags === undefined
        ? this.#tags
        : mergeTags(this.#tags, parseTags(callTags, this.#s.telegraf, this.#s.tables));
    if (tags.length === 0) return '';
    return `|${prefix}${tags.map((t) => t.str).join(separator)}`;
  }

  #extension(a: CallArgs, what: string, format: () => ReturnType<typeof formatEvent>): void {
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
          ErrorCodes.INVALID_VALUE,
          `statskit/hot-shots: ${f.error}; not sent`,
          what,
        );
      else {
        this.#write([f.line], [Buffer.byteLength(f.line)], a.cb);
        return;
      }
    }
    if (a.cb !== undefined) this.#call(a.cb, userError(err));
    else this.#deliver(err);
  }

  #send(
    stat: unknown,
    value: unknown,
    type: string,
    a: CallArgs,
    delta = false,
    extraTags?: readonly string[],
  ): void {
    const s = this.#s;
    let err: StatsError | undefined;
    const rate = a.rate ?? this.#rate;
    let valueStr: string;
    if (s.core.closed)
      err = new StatsError(
        ErrorCodes.CLOSED,
        `statskit/hot-shots: metric ${describe(stat)} after close(); dropped`,
      );
    else if (!(rate > 0 && rate <= 1)) {
      err = new InvalidMetricError(
        ErrorCodes.INVALID_RATE,
        `statskit/hot-shots: sample rate ${describe(rate)} is not in (0, 1]; not sent`,
        stat,
      );
    } else if (typeof value === 'number' && value - value === 0) {
      valueStr = delta && value >= 0 ? `+${formatNumber(value)}` : formatNumber(value);
    } else if (type === 's' && typeof value === 'string' && value !== '') {
      valueStr = sanitize(value, s.tables.member);
    } else {
      err = new InvalidMetricError(
        ErrorCodes.INVALID_VALUE,
        `statskit/hot-shots: metric ${describe(stat)} has value ${describe(value)}; not sent`,
        stat,
      );
    }
    const names = typeof stat === 'string' ? [stat] : Array.isArray(stat) ? (stat as unknown[]) : [stat];
    if (err === undefined && names.some((n) => typeof n !== 'string' || n === '')) {
      err = new InvalidMetricError(
        ErrorCodes.INVALID_NAME,
        `statskit/hot-shots: metric name must be a non-empty string or an array of them, got ${describe(stat)}`,
        stat,
      );
    }
    if (err !== undefined) {
      if (a.cb !== undefined) this.#call(a.cb, userError(err));
      else this.#deliver(err);
      return;
    }
    if (rate < 1 && s.random() >= rate) {
      if (a.cb !== undefined) this.#call(a.cb);
      return;
    }
    let tagStr = this.#tagStr;
    if (a.tags !== undefined || extraTags !== undefined) {
      let tags = this.#tags;
      if (a.tags !== undefined) tags = mergeTags(tags, parseTags(a.tags, s.telegraf, s.tables));
      if (extraTags !== undefined) tags = mergeTags(tags, parseTags(extraTags, s.telegraf, s.tables));
      tagStr = this.#joinTags(tags);
    }
    let tail = `:${valueStr!}|${type}${rate < 1 ? `|@${rate}` : ''}`;
    if (a.timestamp !== undefined && !s.telegraf && (type === 'c' || type === 'g')) {
      const t =
        a.timestamp instanceof Date ? Math.round(a.timestamp.getTime() / 1000) : Math.floor(a.timestamp);
      if (t >= 0) tail += `|T${t}`;
    }
    const lines: string[] = [];
    const bytes: number[] = [];
    for (const n of names as string[]) {
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
    for (let i = 0; i < lines.length; i++) {
      core.write(lines[i] as string, bytes[i] as number, 1, lines[i] as string);
      if (s.maxBufferSize > 0 && core.batcher.size > s.maxBufferSize) core.batcher.flush();
    }
    const errors = s.sync;
    s.sync = undefined;
    const first = errors[0];
    if (first !== undefined) {
      if (cb !== undefined) this.#call(cb, userError(first));
      for (const e of cb === undefined ? errors : errors.slice(1)) this.#deliver(e);
      return;
    }
    if (s.maxBufferSize > 0) {
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
    func: (...args: never[]) => unknown,
    stat: string | readonly string[],
    rest: unknown[],
    type: 'ms' | 'd',
    async: boolean,
  ): (...args: unknown[]) => unknown {
    const a = callArgs(rest, 0);
    return (...args: unknown[]): unknown => {
      const added: string[] = [];
      const ctx: TimerContext = {
        addTags: (tags) => {
          for (const t of parseTags(tags, false, DOG)) added.push(t.str);
        },
      };
      const start = performance.now();
      const record = (): void => {
        const ms = Math.round((performance.now() - start) * 1000) / 1000;
        this.#send(stat, ms, type, a, false, added.length > 0 ? added : undefined);
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
