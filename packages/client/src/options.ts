import type { Writable } from 'node:stream';
import type { AggregateOptions, ResolvedAggregateOptions } from './aggregator.js';
import { InvalidOptionError, type StatsError } from './errors.js';
import type { StreamFraming } from './transports/stream.js';
import { isWritableStream } from './transports/writable.js';
import type { TagFormat, Tags, Transport, TransportFactory } from './types.js';

export type Protocol = 'udp' | 'tcp' | 'uds';

/** Options of `new StatsClient()`. Every one is optional; see the package README for the table. */
export interface ClientOptions {
  /**
   * statsd host. Default `STATSD_HOST`, then the host of a `udp://` `DD_DOGSTATSD_URL`, then `DD_AGENT_HOST`,
   * then `127.0.0.1`. A name is resolved once and cached (`dnsTtl`).
   */
  readonly host?: string | undefined;
  /** statsd port. Default `STATSD_PORT`, then a `udp://` `DD_DOGSTATSD_URL`'s port, then `DD_DOGSTATSD_PORT`, then 8125. */
  readonly port?: number | undefined;
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
  /** Tag wire format. Default `datadog`. */
  readonly tagFormat?: TagFormat | undefined;
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
   * de-duplicated per interval; timers too with `{ timers: 'summary' }`. Default off.
   */
  readonly aggregate?: boolean | AggregateOptions | undefined;
  /**
   * Every N ms, send the client's own counters (`stats.telemetry()`) as metrics named `statskit.client.*`
   * (no prefix; the client's tags plus `transport:<protocol>`): counters as deltas, `queue_bytes` as a
   * gauge. 0 (default): off.
   */
  readonly telemetryInterval?: number | undefined;
  /**
   * Environment to read `STATSD_HOST`, `STATSD_PORT`, `STATSD_PREFIX`, `DD_AGENT_HOST`, `DD_DOGSTATSD_PORT`
   * and `DD_DOGSTATSD_URL` from. Default `process.env`. Explicit options win over `STATSD_*`, which win over `DD_*`.
   */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Options after defaults and validation. Frozen. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly family: 0 | 4 | 6;
  readonly protocol: Protocol;
  readonly path: string | undefined;
  readonly udsFraming: StreamFraming;
  readonly prefix: string;
  readonly suffix: string;
  readonly tags: Tags | undefined;
  readonly tagFormat: TagFormat;
  readonly sampleRate: number;
  readonly maxPacketSize: number;
  readonly batching: boolean;
  readonly flushInterval: number;
  readonly onError: ((err: StatsError) => void) | undefined;
  readonly random: () => number;
  readonly transport: Transport | TransportFactory | Writable | undefined;
  readonly maxQueueBytes: number;
  readonly dnsTtl: number;
  readonly closeTimeout: number;
  readonly aggregate: ResolvedAggregateOptions | undefined;
  /** ms between telemetry emissions; 0: off. */
  readonly telemetryInterval: number;
}

const PROTOCOLS: readonly Protocol[] = ['udp', 'tcp', 'uds'];
const TAG_FORMATS: readonly TagFormat[] = ['datadog', 'telegraf', 'graphite', 'none'];
const FRAMINGS: readonly StreamFraming[] = ['newline', 'length-prefix'];
/** Largest UDP payload over IPv4. */
export const MAX_UDP_PAYLOAD = 65_507;

function fail(message: string): never {
  throw new InvalidOptionError(`statskit: ${message}`);
}

function optString(name: string, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') fail(`${name} must be a string, got ${typeof v}`);
  return v;
}

function optNumber(name: string, v: unknown, min: number, max: number, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || Number.isNaN(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    fail(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

function optFunction<T>(name: string, v: unknown): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'function') fail(`${name} must be a function`);
  return v as T;
}

type Env = Readonly<Record<string, string | undefined>>;

function envPort(env: Env, key = 'STATSD_PORT'): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  return parsePort(raw, key);
}

function parsePort(raw: string, what: string): number {
  const port = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(port) || port < 1 || port > 65_535)
    fail(`${what} must be a port number, got "${raw}"`);
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
  const raw = env['DD_DOGSTATSD_URL'];
  if (raw === undefined || raw === '') return undefined;
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

function resolveAggregate(v: boolean | AggregateOptions | undefined): ResolvedAggregateOptions | undefined {
  if (v === undefined || v === false) return undefined;
  if (v !== true && (typeof v !== 'object' || v === null)) fail('aggregate must be a boolean or an object');
  const o: AggregateOptions = v === true ? {} : v;
  const timers = o.timers ?? 'raw';
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
    maxKeys: optNumber('aggregate.maxKeys', o.maxKeys, 1, 10_000_000, true) ?? 10_000,
  });
}

/** Validate options once, apply env and defaults, and freeze. Throws InvalidOptionError. */
export function resolveOptions(options: ClientOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const env = options.env ?? process.env;
  const transport = options.transport;
  const statsdHost = env['STATSD_HOST'] || undefined;
  // DD_* are read (and validated) only when the explicit options and STATSD_* leave a field open.
  let ddUrl: DogStatsDUrl | undefined | null = null;
  const dd = (): DogStatsDUrl | undefined => {
    if (ddUrl === null) ddUrl = parseDogStatsDUrl(env);
    return ddUrl;
  };
  let path = optString('path', options.path);
  let ddFraming = false;
  let protocol = options.protocol;
  if (
    protocol === undefined &&
    transport === undefined &&
    options.host === undefined &&
    options.port === undefined &&
    path === undefined &&
    statsdHost === undefined &&
    (env['STATSD_PORT'] ?? '') === '' &&
    dd()?.path !== undefined
  ) {
    protocol = 'uds';
  }
  protocol ??= 'udp';
  if (!PROTOCOLS.includes(protocol))
    fail(`protocol must be one of ${PROTOCOLS.join(', ')}, got ${String(protocol)}`);
  if (protocol === 'uds' && path === undefined && transport === undefined) {
    path = dd()?.path;
    ddFraming = path !== undefined;
  }
  const udsFraming = options.udsFraming ?? (ddFraming ? 'length-prefix' : 'newline');
  if (!FRAMINGS.includes(udsFraming)) {
    fail(`udsFraming must be one of ${FRAMINGS.join(', ')}, got ${String(udsFraming)}`);
  }
  const tagFormat = options.tagFormat ?? 'datadog';
  if (!TAG_FORMATS.includes(tagFormat)) {
    fail(`tagFormat must be one of ${TAG_FORMATS.join(', ')}, got ${String(tagFormat)}`);
  }
  const useDd = protocol !== 'uds' && transport === undefined;
  const host =
    optString('host', options.host) ??
    statsdHost ??
    (useDd ? (dd()?.host ?? (env['DD_AGENT_HOST'] || undefined)) : undefined) ??
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
  const sampleRate = optNumber('sampleRate', options.sampleRate, 0, 1, false) ?? 1;
  if (sampleRate === 0) fail('sampleRate must be in (0, 1]; 0 would send nothing');
  const tags = options.tags;
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) {
    fail('tags must be an object or an array of strings');
  }
  const batching = options.batching ?? true;
  if (typeof batching !== 'boolean') fail('batching must be a boolean');
  const family = options.family ?? 0;
  if (family !== 0 && family !== 4 && family !== 6) fail('family must be 0, 4 or 6');
  return Object.freeze({
    host,
    port:
      optNumber('port', options.port, 1, 65_535, true) ??
      envPort(env) ??
      (useDd ? (dd()?.port ?? envPort(env, 'DD_DOGSTATSD_PORT')) : undefined) ??
      8125,
    family,
    protocol,
    path,
    udsFraming,
    prefix: optString('prefix', options.prefix) ?? env['STATSD_PREFIX'] ?? '',
    suffix: optString('suffix', options.suffix) ?? '',
    tags,
    tagFormat,
    sampleRate,
    maxPacketSize:
      optNumber('maxPacketSize', options.maxPacketSize, 16, maxPacketLimit, true) ??
      (protocol === 'uds' ? 8192 : 1432),
    batching,
    flushInterval: optNumber('flushInterval', options.flushInterval, 1, 2_147_483_647, false) ?? 100,
    onError: optFunction<(err: StatsError) => void>('onError', options.onError),
    random: optFunction<() => number>('random', options.random) ?? Math.random,
    transport,
    maxQueueBytes:
      optNumber('maxQueueBytes', options.maxQueueBytes, 0, Number.MAX_SAFE_INTEGER, true) ?? 1 << 20,
    dnsTtl: optNumber('dnsTtl', options.dnsTtl, 0, 2_147_483_647, false) ?? 60_000,
    closeTimeout: optNumber('closeTimeout', options.closeTimeout, 0, 2_147_483_647, false) ?? 2000,
    aggregate: resolveAggregate(options.aggregate),
    telemetryInterval:
      optNumber('telemetryInterval', options.telemetryInterval, 0, 2_147_483_647, false) ?? 0,
  });
}
