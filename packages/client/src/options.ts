import type { Writable } from 'node:stream';
import type { AggregateOptions, MultiValueForm, ResolvedAggregateOptions } from './aggregator.js';
import {
  type CarbonOptions,
  type GraphiteWebOptions,
  type ResolvedCarbonOptions,
  type ResolvedGraphiteWebOptions,
  resolveCarbon,
  resolveGraphiteWeb,
} from './carbon/options.js';
import type { ChildOptions } from './client.js';
import { ErrorCodes, InvalidOptionError, StatsError } from './errors.js';
import { describe } from './protocol/describe.js';
import type { StreamFraming } from './transports/stream.js';
import { isWritableStream } from './transports/writable.js';
import type { StatsServer, TagFormat, Tags, Transport, TransportFactory } from './types.js';

/** How packets travel: UDP, TCP, or a unix stream socket (`uds`). */
export type Protocol = 'udp' | 'tcp' | 'uds';

/** Options of `new StatsClient()`. Every one is optional; see the package README for the table. */
export interface ClientOptions {
  /**
   * statsd host. Default `STATSD_HOST`, then the host of a `udp://` `DD_DOGSTATSD_URL`, then `DD_AGENT_HOST`,
   * then `127.0.0.1`. A name is resolved once and cached (`dnsTtl`). `'host:port'`, `'[v6]:port'`,
   * `'udp://host:port'`, `'tcp://host:port'` and `'unix:///path'` also set the port, `protocol` or `path`
   * (an explicit one that disagrees throws at construction).
   */
  readonly host?: string | undefined;
  /**
   * statsd port, 1–65535: a number, or a string of digits such as `process.env.MY_STATSD_PORT`. Default
   * `STATSD_PORT`, then a `udp://` `DD_DOGSTATSD_URL`'s port, then `DD_DOGSTATSD_PORT`, then 8125.
   */
  readonly port?: number | string | undefined;
  /** Address family for host names: 4, 6 or 0 (whatever the resolver returns first). Default 0. */
  readonly family?: 0 | 4 | 6 | undefined;
  /**
   * `udp` (default), `tcp` or `uds` (with `path`). `uds` is a unix *stream* socket: Node.js has no unix
   * datagram sockets. A `unix://` `DD_DOGSTATSD_URL` selects `uds` when no destination is configured otherwise.
   */
  readonly protocol?: Protocol | undefined;
  /** Unix socket path for `protocol: 'uds'`. */
  readonly path?: string | undefined;
  /**
   * How packets are delimited on the unix stream socket: `'newline'` (default; etsy statsd's tcp server
   * on a `socket` path) or `'length-prefix'` (a 4-byte little-endian length before each packet: the
   * Datadog Agent's `dogstatsd_stream_socket`). Default `'length-prefix'` when the path comes from
   * `DD_DOGSTATSD_URL`.
   */
  readonly udsFraming?: StreamFraming | undefined;
  /** Prepended to every name, joined with `.`. Default `STATSD_PREFIX` or none. */
  readonly prefix?: string | undefined;
  /** Appended to every name, joined with `.`. */
  readonly suffix?: string | undefined;
  /** Tags on every metric. Per-call tags win on the same key. */
  readonly tags?: Tags | undefined;
  /**
   * Tag wire format. Default from `server`: `datadog` (DogStatsD `|#k:v`) when none is named and for
   * `'dogstatsd'` and `'statsd_exporter'`, `telegraf` for `'telegraf'`, `graphite` (Graphite 1.1 `;k=v`
   * in the name, which etsy statsd and collectd keep as part of the name) for `'etsy'` and `'collectd'`.
   * It only decides how tags are written: the rest of the wire follows `server`.
   */
  readonly tagFormat?: TagFormat | undefined;
  /**
   * The statsd server (see {@link StatsServer}): what the wire may carry. With none named (the default)
   * the client sends the portable form that the etsy daemon, collectd, Telegraf, the Datadog Agent and
   * statsd_exporter all read: one value per line, histograms and distributions as timers (`|ms`), no
   * `|T` timestamps, no sample rate on gauges and sets. Naming a server allows what it reads: `|h`/`|d`
   * for `'dogstatsd'` (and `'statsd_exporter'`), and aggregated timer samples packed into multi-value
   * lines (`aggregate.multiValue`): DogStatsD `name:1:2|ms` for `'dogstatsd'` and `'statsd_exporter'`,
   * etsy `name:1|ms:2|ms` for `'etsy'` and `'telegraf'`; never for `'collectd'`, which reads neither.
   */
  readonly server?: StatsServer | undefined;
  /** Default sample rate in (0, 1]. Default 1. */
  readonly sampleRate?: number | undefined;
  /** Largest packet in bytes (UTF-8). Default 1432 (UDP over a 1500-byte MTU), 8192 for uds. */
  readonly maxPacketSize?: number | undefined;
  /** Batch lines into packets (default true). When false, every metric is its own packet. */
  readonly batching?: boolean | undefined;
  /** Longest time, in ms, a line waits in a partly filled packet. Default 100. */
  readonly flushInterval?: number | undefined;
  /** Where runtime problems go. Default: a rate-limited `process.emitWarning`. */
  readonly onError?: ((err: StatsError) => void) | undefined;
  /**
   * Rate-limit your `onError`: at most one error per code and metric name every N ms. The first is passed at
   * once; later ones within the interval are held back, and when it ends the latest is passed with
   * `err.suppressed` = how many others were held back (close() passes what is still held). Every error
   * is still counted in `telemetry().errors`. 0 (default): every error is passed. The default handler
   * (no `onError`) always limits itself to one warning per code and metric name every 10 s, and at
   * close() warns once with what it held back.
   */
  readonly onErrorInterval?: number | undefined;
  /** Random source in [0, 1) for sampling; inject one in tests. Default `Math.random`. */
  readonly random?: (() => number) | undefined;
  /**
   * A custom transport (or a factory given the transport context) instead of a socket, or a Node.js
   * `Writable` that receives every packet followed by `\n` (backpressure respected, bounded queue).
   */
  readonly transport?: Transport | TransportFactory | Writable | undefined;
  /** Bytes that may wait for a socket (connecting, DNS, reconnecting) before packets are dropped. Default 1 MiB. */
  readonly maxQueueBytes?: number | undefined;
  /** How long, in ms, a resolved host address is reused before it is looked up again (in the background). 0: resolve once. Default 60 000. */
  readonly dnsTtl?: number | undefined;
  /** How long, in ms, `close()` waits for pending packets before it gives up. Default 2000. */
  readonly closeTimeout?: number | undefined;
  /**
   * Aggregate in process before sending (Coda Hale style): counters summed, gauges folded, sets
   * de-duplicated per interval (1 s); timers too with `{ timers: 'summary' }`. Default on (off with
   * `carbon`, which aggregates itself); `false` sends one line per call.
   */
  readonly aggregate?: boolean | AggregateOptions | undefined;
  /**
   * Every N ms, send the client's own counters (`stats.telemetry()`) as metrics named `statskit.client.*`
   * (no prefix; the client's tags plus `transport:<protocol>`): counters as deltas, `queue_bytes` as a
   * gauge. 0 (default): off.
   */
  readonly telemetryInterval?: number | undefined;
  /**
   * Datadog unified service tagging, as Datadog's own clients do: with `tagFormat: 'datadog'` (the
   * default), `DD_ENV`, `DD_SERVICE` and `DD_VERSION` become the `env`, `service` and `version` tags and
   * `DD_ENTITY_ID` the `dd.internal.entity_id` tag, under the `tags` option (which wins on the same key).
   * Default true; `false` turns it off. Ignored with other tag formats.
   */
  readonly unifiedServiceTags?: boolean | undefined;
  /**
   * Environment to read `STATSD_HOST`, `STATSD_PORT`, `STATSD_PREFIX`, `DD_AGENT_HOST`, `DD_DOGSTATSD_PORT`
   * and `DD_DOGSTATSD_URL` from. Default `process.env`. Explicit options win over `STATSD_*`, which win over `DD_*`.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * Report straight to Graphite's carbon instead of a statsd server: metrics are summarised in process
   * (counts, meter rates, percentiles) and sent as plaintext `path value timestamp` lines every
   * `carbon.interval` ms (see docs/graphite.md). `true` for carbon on 127.0.0.1:2003 over TCP.
   * Implies `tagFormat: 'graphite'` (Graphite 1.1 `;k=v` tags). Default off.
   */
  readonly carbon?: boolean | CarbonOptions | undefined;
  /** graphite-web, for Graphite events (`annotate()`): its base URL or `{ url, timeout, maxPending }`. */
  readonly graphiteWeb?: string | GraphiteWebOptions | undefined;
}

/** The wire a server dialect allows, resolved once from {@link ClientOptions.server}. */
export interface WireDialect {
  /** The type `histogram()` is sent as: `'|h'`, or `'|ms'` for etsy statsd. */
  readonly histogram: '|h' | '|ms';
  /** The type `distribution()` is sent as: `'|d'`, `'|h'` for Telegraf, `'|ms'` for etsy statsd. */
  readonly distribution: '|d' | '|h' | '|ms';
  /** Whether `|T<seconds>` timestamps may be written (DogStatsD only). */
  readonly timestamps: boolean;
  /** How samples of one key share a line (`aggregate.multiValue`): DogStatsD 1.1, etsy, or not at all. */
  readonly multiValue: MultiValueForm;
  /** Whether `|@rate` is written on timers, histograms and distributions (collectd divides the value by it). */
  readonly sampleRates: boolean;
  /** Whether `|@rate` is written on gauges and sets (no server reads it there; collectd drops such lines). */
  readonly levelRates: boolean;
}

const WIRE: Readonly<Record<StatsServer, WireDialect>> = {
  etsy: Object.freeze({
    histogram: '|ms',
    distribution: '|ms',
    timestamps: false,
    multiValue: 'etsy',
    sampleRates: true,
    levelRates: false,
  }),
  dogstatsd: Object.freeze({
    histogram: '|h',
    distribution: '|d',
    timestamps: true,
    multiValue: 'dogstatsd',
    sampleRates: true,
    levelRates: true,
  }),
  telegraf: Object.freeze({
    histogram: '|h',
    distribution: '|h',
    timestamps: false,
    multiValue: 'etsy',
    sampleRates: true,
    levelRates: false,
  }),
  collectd: Object.freeze({
    histogram: '|ms',
    distribution: '|ms',
    timestamps: false,
    multiValue: undefined,
    sampleRates: false,
    levelRates: false,
  }),
  statsd_exporter: Object.freeze({
    histogram: '|h',
    distribution: '|d',
    timestamps: false,
    multiValue: 'dogstatsd',
    sampleRates: true,
    levelRates: false,
  }),
};
/**
 * No server named: what every one of them reads correctly (docs/protocol.md, "Which server reads what").
 * `|ms` for histograms and distributions (the etsy daemon counts `|h`/`|d` as counters, collectd drops
 * them, Telegraf ignores `|d`); one value per line; no `|T`; no rate on gauges and sets.
 */
const PORTABLE_WIRE: WireDialect = Object.freeze({
  histogram: '|ms',
  distribution: '|ms',
  timestamps: false,
  multiValue: undefined,
  sampleRates: true,
  levelRates: false,
});
/** The direct carbon reporter keeps every type apart (it summarises histograms itself). */
const CARBON_WIRE: WireDialect = WIRE.dogstatsd;

/** Options after defaults and validation. Frozen. */
export interface ResolvedOptions {
  /** {@link ClientOptions.host}, resolved. */
  readonly host: string;
  /** {@link ClientOptions.port}, resolved. */
  readonly port: number;
  /** {@link ClientOptions.family}, resolved. */
  readonly family: 0 | 4 | 6;
  /** {@link ClientOptions.protocol}, resolved. */
  readonly protocol: Protocol;
  /** {@link ClientOptions.path}, resolved. */
  readonly path: string | undefined;
  /** {@link ClientOptions.udsFraming}, resolved. */
  readonly udsFraming: StreamFraming;
  /** {@link ClientOptions.prefix}, resolved. */
  readonly prefix: string;
  /** {@link ClientOptions.suffix}, resolved. */
  readonly suffix: string;
  /** {@link ClientOptions.tags}, resolved. */
  readonly tags: Tags | undefined;
  /** {@link ClientOptions.tagFormat}, resolved. */
  readonly tagFormat: TagFormat;
  /** {@link ClientOptions.server}, as given: undefined when none is named (the portable wire). */
  readonly server: StatsServer | undefined;
  /** What `server` allows on the wire: the encoder reads this, nothing else branches on the server. */
  readonly wire: WireDialect;
  /** {@link ClientOptions.sampleRate}, resolved. */
  readonly sampleRate: number;
  /** {@link ClientOptions.maxPacketSize}, resolved. */
  readonly maxPacketSize: number;
  /** {@link ClientOptions.batching}, resolved. */
  readonly batching: boolean;
  /** {@link ClientOptions.flushInterval}, resolved. */
  readonly flushInterval: number;
  /** {@link ClientOptions.onError}, resolved. */
  readonly onError: ((err: StatsError) => void) | undefined;
  /** ms; 0: every error reaches onError. */
  readonly onErrorInterval: number;
  /** {@link ClientOptions.random}, resolved. */
  readonly random: () => number;
  /** {@link ClientOptions.transport}, resolved. */
  readonly transport: Transport | TransportFactory | Writable | undefined;
  /** {@link ClientOptions.maxQueueBytes}, resolved. */
  readonly maxQueueBytes: number;
  /** {@link ClientOptions.dnsTtl}, resolved. */
  readonly dnsTtl: number;
  /** {@link ClientOptions.closeTimeout}, resolved. */
  readonly closeTimeout: number;
  /** {@link ClientOptions.aggregate}, resolved. */
  readonly aggregate: ResolvedAggregateOptions | undefined;
  /** ms between telemetry emissions; 0: off. */
  readonly telemetryInterval: number;
  /** The tags `unifiedServiceTags` read from `DD_*` (under `tags`), or undefined. */
  readonly envTags: Readonly<Record<string, string>> | undefined;
  /** The direct carbon reporter, when on. */
  readonly carbon?: ResolvedCarbonOptions | undefined;
  /** graphite-web for `annotate()`, when given. */
  readonly graphiteWeb?: ResolvedGraphiteWebOptions | undefined;
}

/**
 * Every key of {@link ClientOptions} (a `Record` over its keys, so adding an option without listing it
 * here does not compile); anything else is reported as unknown.
 */
const CLIENT_OPTION_KEYS: readonly string[] = Object.keys({
  host: true,
  port: true,
  family: true,
  protocol: true,
  path: true,
  udsFraming: true,
  prefix: true,
  suffix: true,
  tags: true,
  tagFormat: true,
  server: true,
  sampleRate: true,
  maxPacketSize: true,
  batching: true,
  flushInterval: true,
  onError: true,
  onErrorInterval: true,
  random: true,
  transport: true,
  maxQueueBytes: true,
  dnsTtl: true,
  closeTimeout: true,
  aggregate: true,
  telemetryInterval: true,
  unifiedServiceTags: true,
  env: true,
  carbon: true,
  graphiteWeb: true,
} satisfies Record<keyof ClientOptions, true>);

/** Every key of {@link AggregateOptions}. */
const AGGREGATE_OPTION_KEYS: readonly string[] = Object.keys({
  interval: true,
  timers: true,
  percentiles: true,
  reservoirSize: true,
  maxKeys: true,
  maxSetMembers: true,
  multiValue: true,
} satisfies Record<keyof AggregateOptions, true>);

/** Every key of {@link CarbonOptions}. */
const CARBON_OPTION_KEYS: readonly string[] = Object.keys({
  host: true,
  port: true,
  protocol: true,
  interval: true,
  apiKey: true,
  percentiles: true,
  reservoir: true,
  reservoirSize: true,
  maxKeys: true,
  maxSetMembers: true,
  maxPacketSize: true,
} satisfies Record<keyof CarbonOptions, true>);

/** Every key of {@link GraphiteWebOptions}. */
const GRAPHITE_WEB_OPTION_KEYS: readonly string[] = Object.keys({
  url: true,
  timeout: true,
  maxPending: true,
  headers: true,
} satisfies Record<keyof GraphiteWebOptions, true>);

/** The option objects inside {@link ClientOptions} whose keys are checked too. */
const NESTED_OPTION_KEYS: readonly (readonly [keyof ClientOptions, readonly string[]])[] = [
  ['aggregate', AGGREGATE_OPTION_KEYS],
  ['carbon', CARBON_OPTION_KEYS],
  ['graphiteWeb', GRAPHITE_WEB_OPTION_KEYS],
];

/** Every key of `child()`'s options. */
const CHILD_OPTION_KEYS: readonly string[] = Object.keys({
  prefix: true,
  suffix: true,
  tags: true,
  sampleRate: true,
} satisfies Record<keyof ChildOptions, true>);

/**
 * Edit distance (optimal string alignment: insert, delete, substitute, swap two neighbours), case
 * ignored. Options are short; this runs once per unknown key at construction.
 */
function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = [];
  for (let i = 0; i <= x.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= y.length; j++) row.push(i === 0 ? j : 0);
    d.push(row);
  }
  for (let i = 1; i <= x.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) {
        v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
      row[j] = v;
    }
  }
  return (d[x.length] as number[])[y.length] as number;
}

/** The valid key nearest to `key`, if one is near enough to be what was meant. */
function closestKey(key: string, valid: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.ceil(key.length / 3)) + 1;
  for (const candidate of valid) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Unknown keys shown in one message at most; the rest are counted. */
const SHOWN_KEYS = 5;

/** The keys of `options` that are not in `valid` (none when they cannot be listed). */
function strayKeys(options: object, valid: readonly string[]): string[] {
  try {
    return Object.keys(options).filter((k) => !valid.includes(k));
  } catch {
    return []; // a Proxy whose ownKeys trap throws: its values were read without trouble
  }
}

/** One message for unknown keys: each (the first few) with the closest valid key. */
function unknownKeysMessage(unknown: readonly string[], valid: readonly string[], what: string): string {
  const shown = unknown.slice(0, SHOWN_KEYS).map((k) => {
    const near = closestKey(k, valid);
    return `${describe(k)} (${near === undefined ? 'no option has a similar name' : `did you mean "${near}"?`})`;
  });
  if (unknown.length > SHOWN_KEYS) shown.push(`and ${unknown.length - SHOWN_KEYS} more`);
  return `unknown ${what}${unknown.length > 1 ? 's' : ''} ${shown.join(', ')}`;
}

function unknownKeys(options: object, valid: readonly string[], what: string): StatsError | undefined {
  const unknown = strayKeys(options, valid);
  if (unknown.length === 0) return undefined;
  return new StatsError(
    ErrorCodes.UNKNOWN_OPTION,
    `statskit: ${unknownKeysMessage(unknown, valid, what)}; ignored`,
  );
}

/**
 * A `STATSKIT_ERR_UNKNOWN_OPTION` error naming each key of `options` that is not in `known`, with the
 * closest known key ("did you mean"), or undefined when every key is known. `what` names the options in
 * the message (`'statsdMiddleware option'` gives "unknown statsdMiddleware option "prefx" (did you mean
 * "prefix"?); ignored"). For packages built on the client that check their own options as the client
 * checks its: report the error through the client (`stats.reportError(err)`), as it reports its own.
 * @example
 * ```ts
 * const err = unknownOptionKeys(options, ['interval', 'prefix'], 'myCollector option');
 * if (err !== undefined) stats.reportError(err);
 * ```
 */
export function unknownOptionKeys(
  options: unknown,
  known: readonly string[],
  what: string,
): StatsError | undefined {
  return typeof options === 'object' && options !== null ? unknownKeys(options, known, what) : undefined;
}

/**
 * The warning for keys of `new StatsClient()` options that are not options (a typo such as `prefx`),
 * and of its option objects (`carbon`, `graphiteWeb`, `aggregate`): one `STATSKIT_ERR_UNKNOWN_OPTION`
 * error naming each and the closest valid key, or undefined.
 */
export function unknownOptionsError(options: ClientOptions | undefined): StatsError | undefined {
  if (typeof options !== 'object' || options === null) return undefined;
  const parts: string[] = [];
  const top = strayKeys(options, CLIENT_OPTION_KEYS);
  if (top.length > 0) parts.push(unknownKeysMessage(top, CLIENT_OPTION_KEYS, 'option'));
  for (const [key, valid] of NESTED_OPTION_KEYS) {
    let nested: unknown;
    try {
      nested = options[key];
    } catch {
      continue; // a getter that throws was reported by resolveOptions()
    }
    if (typeof nested !== 'object' || nested === null) continue;
    const stray = strayKeys(nested, valid);
    if (stray.length > 0) parts.push(unknownKeysMessage(stray, valid, `${key} option`));
  }
  if (parts.length === 0) return undefined;
  return new StatsError(ErrorCodes.UNKNOWN_OPTION, `statskit: ${parts.join('; ')}; ignored`);
}

/** The same for `child()` options. */
export function unknownChildOptionsError(options: object): StatsError | undefined {
  return unknownKeys(options, CHILD_OPTION_KEYS, 'child option');
}

const PROTOCOLS: readonly Protocol[] = ['udp', 'tcp', 'uds'];
const TAG_FORMATS: readonly TagFormat[] = ['datadog', 'telegraf', 'graphite', 'none'];
const SERVERS: readonly StatsServer[] = ['etsy', 'dogstatsd', 'telegraf', 'collectd', 'statsd_exporter'];
const FRAMINGS: readonly StreamFraming[] = ['newline', 'length-prefix'];
/** Largest UDP payload over IPv4. */
const MAX_UDP_PAYLOAD = 65_507;

function fail(message: string): never {
  throw new InvalidOptionError(`statskit: ${message}`);
}

function optString(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${name} must be a string, got ${describe(v)}`);
  return v;
}

function optNumber(name: string, v: unknown, min: number, max: number, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

/** A sample rate: a number in (0, 1]. */
function optRate(name: string, v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) {
    const why = v === 0 ? ' (0 would send nothing)' : '';
    fail(`${name} must be a number in (0, 1]${why}, got ${describe(v)}`);
  }
  return v;
}

function optFunction<T>(name: string, v: unknown): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') fail(`${name} must be a function`);
  return v as T;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * An environment variable's value without surrounding whitespace (`STATSD_PORT=' 8125'` from a stray
 * space in a compose file or `.env`), or undefined when it is unset or blank.
 */
function envValue(env: Env, key: string): string | undefined {
  const raw = env[key];
  if (typeof raw !== 'string') return undefined;
  const v = raw.trim();
  return v === '' ? undefined : v;
}

function envPort(env: Env, key = 'STATSD_PORT'): number | undefined {
  const raw = envValue(env, key);
  if (raw === undefined) return undefined;
  return parsePort(raw, key);
}

/** Only ASCII digits: no sign, space, exponent, hex or fraction ('8125abc', ' ', '1e3', '0x1F' are refused). */
const DIGITS = /^[0-9]{1,5}$/;

/**
 * A port, 1–65535, from a number or a string of digits (an environment variable's value). Anything
 * else throws, showing the value as given.
 */
function parsePort(raw: unknown, what: string): number {
  const port = typeof raw === 'number' ? raw : typeof raw === 'string' && DIGITS.test(raw) ? Number(raw) : -1;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    fail(
      `${what} must be a port number in [1, 65535] (a number or a string of digits), got ${describe(raw)}`,
    );
  }
  return port;
}

/** Where `DD_DOGSTATSD_URL` points. */
interface DogStatsDUrl {
  readonly host?: string;
  readonly port?: number;
  readonly path?: string;
}

/**
 * Parse `DD_DOGSTATSD_URL` the way the Datadog clients spell it: `udp://host:port`, `unix:///path` or
 * `unixstream:///path`. A unix path means a *stream* socket here (Node.js has no unix datagram sockets),
 * so `unixgram://` is rejected with an explanation.
 */
function parseDogStatsDUrl(env: Env): DogStatsDUrl | undefined {
  const raw = envValue(env, 'DD_DOGSTATSD_URL');
  if (raw === undefined) return undefined;
  const bad = (why: string): never =>
    fail(
      `DD_DOGSTATSD_URL must be udp://host:port, unix:///path or unixstream:///path (${why}), got "${raw}"`,
    );
  const scheme = raw.indexOf('://');
  if (scheme === -1) bad('no scheme');
  const kind = raw.slice(0, scheme).toLowerCase();
  const rest = raw.slice(scheme + 3);
  if (kind === 'unix' || kind === 'unixstream') {
    if (rest === '' || rest.includes('\0')) bad('empty or invalid socket path');
    return { path: rest };
  }
  if (kind === 'unixgram') {
    fail(
      `DD_DOGSTATSD_URL "${raw}" is a unix datagram socket, which Node.js cannot send to; enable the Agent's dogstatsd_stream_socket and use unixstream:///path, or UDP`,
    );
  }
  if (kind !== 'udp') bad(`unsupported scheme ${kind}`);
  let host: string;
  let port: string;
  try {
    const url = new URL(`udp://${rest}`);
    host = url.hostname;
    port = url.port;
  } catch {
    return bad('not a valid host:port');
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') bad('empty host');
  return port === '' ? { host } : { host, port: parsePort(port, 'DD_DOGSTATSD_URL port') };
}

/** What the `host` option says: a host, and from a URL or `host:port` a protocol, port or socket path. */
interface HostUrl {
  /** The option as given, for messages. */
  readonly raw: string;
  readonly host?: string;
  readonly port?: number;
  readonly protocol?: Protocol;
  readonly path?: string;
}

const HOST_FORMS =
  "host must be a host name or address (host: '127.0.0.1', port: 8125), udp://host:port, tcp://host:port or unix:///path";

/** Digits after the last colon of `host:port` (one colon only: `::1` is an IPv6 address). */
const HOST_PORT = /^([^:[\]]+):([0-9]+)$/;
/** `[v6]:port`. */
const BRACKETED_PORT = /^\[([^\]]+)\]:([0-9]+)$/;

/**
 * Read the `host` option. A plain name or address is the host. `host:port` and `[v6]:port` (dats'
 * style), `udp://host:port`, `tcp://host:port`, `unix:///path` (`unixstream:///path`, as
 * `DD_DOGSTATSD_URL` spells it) also set the port, protocol or path; anything else with a scheme is
 * refused here rather than failing at the first send.
 */
function parseHost(raw: string): HostUrl {
  if (raw === '') fail('host must not be empty');
  const scheme = raw.indexOf('://');
  if (scheme === -1) {
    const m = HOST_PORT.exec(raw) ?? BRACKETED_PORT.exec(raw);
    if (m === null) return { raw, host: raw };
    return { raw, host: m[1] as string, port: parsePort(m[2], `the port in host "${raw}"`) };
  }
  const kind = raw.slice(0, scheme).toLowerCase();
  const rest = raw.slice(scheme + 3);
  if (kind === 'unix' || kind === 'unixstream') {
    if (rest === '' || rest.includes('\0')) fail(`${HOST_FORMS}; "${raw}" has no socket path`);
    return { raw, protocol: 'uds', path: rest };
  }
  if (kind === 'unixgram') {
    fail(
      `host "${raw}" is a unix datagram socket, which Node.js cannot send to; use unix:///path with a stream socket (the Agent's dogstatsd_stream_socket), or UDP`,
    );
  }
  if (kind !== 'udp' && kind !== 'tcp') fail(`${HOST_FORMS}; got "${raw}" (unsupported scheme ${kind})`);
  let url: URL;
  try {
    url = new URL(`${kind}://${rest}`);
  } catch {
    return fail(`${HOST_FORMS}; got "${raw}" (not a valid host:port)`);
  }
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.username !== '') {
    fail(`${HOST_FORMS}; got "${raw}" (only a host and a port may follow ${kind}://)`);
  }
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') fail(`${HOST_FORMS}; got "${raw}" (no host)`);
  const protocol: Protocol = kind;
  return url.port === ''
    ? { raw, host, protocol }
    : { raw, host, protocol, port: parsePort(url.port, `the port in host "${raw}"`) };
}

/** A URL `host` and an explicit `protocol`, `port` or `path` must agree: a conflict is an error. */
function checkHostUrl(
  url: HostUrl,
  protocol: Protocol | undefined,
  port: number | undefined,
  path: string | undefined,
): void {
  if (url.protocol !== undefined && protocol !== undefined && protocol !== url.protocol) {
    fail(
      `host "${url.raw}" means protocol '${url.protocol}' but protocol is ${describe(protocol)}; remove one of them`,
    );
  }
  if (url.port !== undefined && port !== undefined && port !== url.port) {
    fail(`host "${url.raw}" has port ${url.port} but port is ${port}; remove one of them`);
  }
  if (url.path !== undefined && path !== undefined && path !== url.path) {
    fail(`host "${url.raw}" has socket path ${url.path} but path is ${describe(path)}; remove one of them`);
  }
}

/** `DD_*` variable → tag, for unified service tagging (the order Datadog's clients add them in). */
const DD_TAG_VARS: readonly (readonly [string, string])[] = [
  ['DD_ENTITY_ID', 'dd.internal.entity_id'],
  ['DD_ENV', 'env'],
  ['DD_SERVICE', 'service'],
  ['DD_VERSION', 'version'],
];

/** The unified service tags found in `env`, or undefined when there are none. */
function datadogEnvTags(env: Env): Record<string, string> | undefined {
  let tags: Record<string, string> | undefined;
  for (const [key, tag] of DD_TAG_VARS) {
    const v = envValue(env, key);
    if (v === undefined) continue;
    tags ??= {};
    tags[tag] = v;
  }
  return tags;
}

/** `aggregate`, resolved: on by default (`{}`), off with `false` or with the carbon reporter (which aggregates itself). */
function resolveAggregate(
  given: boolean | AggregateOptions | undefined,
  carbon: boolean,
  server: StatsServer | undefined,
  wire: WireDialect,
): ResolvedAggregateOptions | undefined {
  const v = given ?? !carbon;
  if (v === false) return undefined;
  if (v !== true && (typeof v !== 'object' || v === null)) fail('aggregate must be a boolean or an object');
  const o: AggregateOptions = v === true ? {} : v;
  const timers = o.timers ?? 'raw';
  if (o.multiValue !== undefined && typeof o.multiValue !== 'boolean')
    fail('aggregate.multiValue must be a boolean');
  // Multi-value lines only where a named server reads them: no form is read by every server.
  if (o.multiValue === true && wire.multiValue === undefined) {
    fail(
      server === undefined
        ? "aggregate.multiValue needs the server named (server: 'dogstatsd' | 'etsy' | 'telegraf' | 'statsd_exporter'): each reads a different multi-value form, and collectd reads none"
        : `aggregate.multiValue: server '${server}' reads no multi-value line`,
    );
  }
  if (timers !== 'raw' && timers !== 'summary') fail("aggregate.timers must be 'raw' or 'summary'");
  const percentiles = o.percentiles ?? [0.5, 0.95, 0.99];
  if (!Array.isArray(percentiles) || percentiles.some((p) => typeof p !== 'number' || !(p > 0 && p < 1))) {
    fail('aggregate.percentiles must be numbers in (0, 1)');
  }
  return Object.freeze({
    interval: optNumber('aggregate.interval', o.interval, 1, 2_147_483_647, false) ?? 1000,
    timers,
    percentiles: Object.freeze([...percentiles]),
    reservoirSize: optNumber('aggregate.reservoirSize', o.reservoirSize, 1, 1_000_000, true) ?? 1028,
    maxKeys: optNumber('aggregate.maxKeys', o.maxKeys, 1, 10_000_000, true) ?? 100_000,
    maxSetMembers: optNumber('aggregate.maxSetMembers', o.maxSetMembers, 1, 100_000_000, true) ?? 100_000,
    multiValue: o.multiValue ?? wire.multiValue !== undefined,
  });
}

/**
 * Validate options once, apply env and defaults, and freeze. Throws InvalidOptionError, also when reading
 * the options runs code that throws (a getter, a Proxy): that error is the `cause`.
 */
export function resolveOptions(options: ClientOptions = {}): ResolvedOptions {
  try {
    return resolve(options);
  } catch (err) {
    if (StatsError.is(err)) throw err;
    throw new InvalidOptionError('statskit: reading the options threw (see cause)', { cause: err });
  }
}

function resolve(options: ClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const env = options.env ?? process.env;
  const transport = options.transport;
  const statsdHost = envValue(env, 'STATSD_HOST');
  if (statsdHost !== undefined && (statsdHost.includes('://') || HOST_PORT.test(statsdHost))) {
    fail(
      `STATSD_HOST must be a host name or address, got "${statsdHost}"; set STATSD_HOST=host and STATSD_PORT=port (or DD_DOGSTATSD_URL=${statsdHost})`,
    );
  }
  // `host` may be a URL (`udp://h:p`, `tcp://h:p`, `unix:///path`) or `h:p`: it sets protocol/port/path.
  const hostUrl = options.host === undefined ? undefined : parseHost(optString('host', options.host) ?? '');
  // DD_* are read (and validated) only when the explicit options and STATSD_* leave a field open.
  let ddUrl: DogStatsDUrl | undefined | null = null;
  const dd = (): DogStatsDUrl | undefined => {
    if (ddUrl === null) ddUrl = parseDogStatsDUrl(env);
    return ddUrl;
  };
  const givenPath = optString('path', options.path);
  const givenPort = options.port === undefined ? undefined : parsePort(options.port, 'port');
  if (hostUrl !== undefined) checkHostUrl(hostUrl, options.protocol, givenPort, givenPath);
  let path = givenPath ?? hostUrl?.path;
  let ddFraming = false;
  let protocol = options.protocol ?? hostUrl?.protocol;
  if (
    protocol === undefined &&
    transport === undefined &&
    options.host === undefined &&
    options.port === undefined &&
    path === undefined &&
    statsdHost === undefined &&
    envValue(env, 'STATSD_PORT') === undefined &&
    dd()?.path !== undefined
  ) {
    protocol = 'uds';
  }
  protocol ??= 'udp';
  if (!PROTOCOLS.includes(protocol))
    fail(`protocol must be one of ${PROTOCOLS.join(', ')}, got ${describe(protocol)}`);
  if (protocol === 'uds' && path === undefined && transport === undefined) {
    path = dd()?.path;
    ddFraming = path !== undefined;
  }
  const udsFraming = options.udsFraming ?? (ddFraming ? 'length-prefix' : 'newline');
  if (!FRAMINGS.includes(udsFraming)) {
    fail(`udsFraming must be one of ${FRAMINGS.join(', ')}, got ${describe(udsFraming)}`);
  }
  const carbon = resolveCarbon(options.carbon);
  const givenServer = options.server;
  if (givenServer !== undefined && !SERVERS.includes(givenServer)) {
    fail(`server must be one of ${SERVERS.join(', ')}, got ${describe(givenServer)}`);
  }
  const tagFormat =
    options.tagFormat ??
    (carbon !== undefined || givenServer === 'etsy' || givenServer === 'collectd'
      ? 'graphite'
      : givenServer === 'telegraf'
        ? 'telegraf'
        : 'datadog');
  if (carbon !== undefined && tagFormat !== 'graphite')
    fail("carbon needs tagFormat 'graphite' (Graphite 1.1 tags)");
  if (carbon !== undefined && options.aggregate !== undefined && options.aggregate !== false) {
    fail('carbon and aggregate cannot be combined: the carbon reporter aggregates itself');
  }
  if (!TAG_FORMATS.includes(tagFormat)) {
    fail(`tagFormat must be one of ${TAG_FORMATS.join(', ')}, got ${describe(tagFormat)}`);
  }
  // tagFormat only decides how tags are written: the rest of the wire follows the named server alone.
  const wire =
    carbon !== undefined ? CARBON_WIRE : givenServer === undefined ? PORTABLE_WIRE : WIRE[givenServer];
  const useDd = protocol !== 'uds' && transport === undefined;
  const host =
    hostUrl?.host ??
    statsdHost ??
    (useDd ? (dd()?.host ?? envValue(env, 'DD_AGENT_HOST')) : undefined) ??
    '127.0.0.1';
  if (host === '') fail('host must not be empty');
  if (protocol === 'uds' && path === undefined && transport === undefined)
    fail("protocol 'uds' needs a path (or DD_DOGSTATSD_URL=unix:///path)");
  if (
    transport !== undefined &&
    typeof transport !== 'function' &&
    !isWritableStream(transport) &&
    (typeof transport !== 'object' ||
      transport === null ||
      typeof (transport as Partial<Transport>).send !== 'function')
  ) {
    fail('transport must be an object with send(), a factory function, or a Writable stream');
  }
  const maxPacketLimit = protocol === 'udp' && transport === undefined ? MAX_UDP_PAYLOAD : 1 << 20;
  const sampleRate = optRate('sampleRate', options.sampleRate) ?? 1;
  const tags = options.tags;
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) {
    fail('tags must be an object or an array of strings');
  }
  const batching = options.batching ?? true;
  if (typeof batching !== 'boolean') fail('batching must be a boolean');
  const unifiedServiceTags = options.unifiedServiceTags ?? true;
  if (typeof unifiedServiceTags !== 'boolean') fail('unifiedServiceTags must be a boolean');
  const family = options.family ?? 0;
  if (family !== 0 && family !== 4 && family !== 6) fail('family must be 0, 4 or 6');
  return Object.freeze({
    host,
    port:
      givenPort ??
      hostUrl?.port ??
      envPort(env) ??
      (useDd ? (dd()?.port ?? envPort(env, 'DD_DOGSTATSD_PORT')) : undefined) ??
      8125,
    family,
    protocol,
    path,
    udsFraming,
    prefix: optString('prefix', options.prefix) ?? envValue(env, 'STATSD_PREFIX') ?? '',
    suffix: optString('suffix', options.suffix) ?? '',
    tags,
    tagFormat,
    server: givenServer,
    wire,
    sampleRate,
    maxPacketSize:
      optNumber('maxPacketSize', options.maxPacketSize, 16, maxPacketLimit, true) ??
      (protocol === 'uds' ? 8192 : 1432),
    batching,
    flushInterval: optNumber('flushInterval', options.flushInterval, 1, 2_147_483_647, false) ?? 100,
    onError: optFunction<(err: StatsError) => void>('onError', options.onError),
    onErrorInterval: optNumber('onErrorInterval', options.onErrorInterval, 0, 2_147_483_647, false) ?? 0,
    random: optFunction<() => number>('random', options.random) ?? Math.random,
    transport,
    maxQueueBytes:
      optNumber('maxQueueBytes', options.maxQueueBytes, 0, Number.MAX_SAFE_INTEGER, true) ?? 1 << 20,
    dnsTtl: optNumber('dnsTtl', options.dnsTtl, 0, 2_147_483_647, false) ?? 60_000,
    closeTimeout: optNumber('closeTimeout', options.closeTimeout, 0, 2_147_483_647, false) ?? 2000,
    aggregate: resolveAggregate(options.aggregate, carbon !== undefined, givenServer, wire),
    telemetryInterval:
      optNumber('telemetryInterval', options.telemetryInterval, 0, 2_147_483_647, false) ?? 0,
    envTags: unifiedServiceTags && tagFormat === 'datadog' ? datadogEnvTags(env) : undefined,
    carbon,
    graphiteWeb: resolveGraphiteWeb(options.graphiteWeb),
  });
}

/**
 * One `STATSKIT_ERR_UNKNOWN_OPTION` error for the keys of `options` that are not in `valid` (each named
 * with the closest valid key), or undefined. For option sets declared elsewhere (the hot-shots class).
 */
export function unknownOptionKeysError(
  options: object,
  valid: readonly string[],
  what: string,
): StatsError | undefined {
  return unknownKeys(options, valid, what);
}
