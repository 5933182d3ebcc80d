import { InvalidOptionError, type StatsError } from './errors.js';
import type { AggregateOptions, ResolvedAggregateOptions } from './aggregator.js';
import type { TagFormat, Tags, Transport, TransportFactory } from './types.js';

export type Protocol = 'udp' | 'tcp' | 'uds';

/** Options of `new StatsClient()`. Every one is optional; see the package README for the table. */
export interface ClientOptions {
  /** statsd host. Default `STATSD_HOST` or `127.0.0.1`. A name is resolved once and cached (`dnsTtl`). */
  readonly host?: string | undefined;
  /** statsd port. Default `STATSD_PORT` or 8125. */
  readonly port?: number | undefined;
  /** Address family for host names: 4, 6 or 0 (whatever the resolver returns first). Default 0. */
  readonly family?: 0 | 4 | 6 | undefined;
  /** `udp` (default), `tcp` or `uds` (with `path`). */
  readonly protocol?: Protocol | undefined;
  /** Unix socket path for `protocol: 'uds'`. */
  readonly path?: string | undefined;
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
  /** A custom transport (or a factory given the transport context) instead of a socket. */
  readonly transport?: Transport | TransportFactory | undefined;
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
  /** Environment to read `STATSD_*` from. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

/** Options after defaults and validation. Frozen. */
export interface ResolvedOptions {
  readonly host: string;
  readonly port: number;
  readonly family: 0 | 4 | 6;
  readonly protocol: Protocol;
  readonly path: string | undefined;
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
  readonly transport: Transport | TransportFactory | undefined;
  readonly maxQueueBytes: number;
  readonly dnsTtl: number;
  readonly closeTimeout: number;
  readonly aggregate: ResolvedAggregateOptions | undefined;
}

const PROTOCOLS: readonly Protocol[] = ['udp', 'tcp', 'uds'];
const TAG_FORMATS: readonly TagFormat[] = ['datadog', 'telegraf', 'graphite', 'none'];
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

function envPort(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env['STATSD_PORT'];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    fail(`STATSD_PORT must be a port number, got "${raw}"`);
  return port;
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
  const protocol = options.protocol ?? 'udp';
  if (!PROTOCOLS.includes(protocol))
    fail(`protocol must be one of ${PROTOCOLS.join(', ')}, got ${String(protocol)}`);
  const tagFormat = options.tagFormat ?? 'datadog';
  if (!TAG_FORMATS.includes(tagFormat)) {
    fail(`tagFormat must be one of ${TAG_FORMATS.join(', ')}, got ${String(tagFormat)}`);
  }
  const host = optString('host', options.host) ?? (env['STATSD_HOST'] || '127.0.0.1');
  if (host === '') fail('host must not be empty');
  const path = optString('path', options.path);
  const transport = options.transport;
  if (protocol === 'uds' && path === undefined && transport === undefined)
    fail("protocol 'uds' needs a path");
  if (
    transport !== undefined &&
    typeof transport !== 'function' &&
    (typeof transport !== 'object' || transport === null || typeof transport.send !== 'function')
  ) {
    fail('transport must be an object with send(), or a factory function');
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
    port: optNumber('port', options.port, 1, 65_535, true) ?? envPort(env) ?? 8125,
    family,
    protocol,
    path,
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
  });
}
