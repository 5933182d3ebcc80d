import { InvalidOptionError } from '../errors.js';
import { describe } from '../protocol/describe.js';

/** Options of the direct carbon reporter (`new StatsClient({ carbon: { ... } })`). */
export interface CarbonOptions {
  /** carbon-cache (or carbon-relay) host. Default `127.0.0.1`. */
  readonly host?: string | undefined;
  /** Plaintext protocol port. Default 2003. */
  readonly port?: number | undefined;
  /** `'tcp'` (default) or `'udp'` (carbon's `ENABLE_UDP_LISTENER`). */
  readonly protocol?: 'tcp' | 'udp' | undefined;
  /** ms between reports, at least 1000; timestamps are aligned to multiples of it. Default 10 000. */
  readonly interval?: number | undefined;
  /** A first path segment before every metric, such as a Hosted Graphite API key. Default none. */
  readonly apiKey?: string | undefined;
  /** Quantiles reported for timers, histograms and distributions, in (0, 1]. Default p50 p75 p95 p98 p99 p999. */
  readonly percentiles?: readonly number[] | undefined;
  /**
   * How timers/histograms keep their samples. `'histogram'` (default): log-linear buckets cleared at
   * every report — statistics per interval, exact count/min/max/mean/stddev, percentiles within 1/128
   * (0.79 %) relative of the exact nearest-rank sample. `'window'`: the last `reservoirSize` samples,
   * never cleared, exact over the window (a report sorts every changed window: slower).
   */
  readonly reservoir?: 'histogram' | 'window' | undefined;
  /** `reservoir: 'window'` only: samples kept per timer/histogram. Default 1028. */
  readonly reservoirSize?: number | undefined;
  /** Distinct (name, tags) series kept; a new one past it is dropped, counted and reported. Default 10 000. */
  readonly maxKeys?: number | undefined;
  /** Distinct members counted per set and interval; more are not counted. Default 100 000. */
  readonly maxSetMembers?: number | undefined;
  /** UDP only: largest datagram in bytes. Default 1432. */
  readonly maxPacketSize?: number | undefined;
}

export interface ResolvedCarbonOptions {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
  readonly interval: number;
  readonly apiKey: string;
  /** Ascending. */
  readonly percentiles: readonly number[];
  readonly reservoir: 'histogram' | 'window';
  readonly reservoirSize: number;
  readonly maxKeys: number;
  readonly maxSetMembers: number;
  /** Bytes per packet handed to the transport. */
  readonly packetSize: number;
}

/** Options of Graphite events (`annotate()`), posted to graphite-web. */
export interface GraphiteWebOptions {
  /** graphite-web's base URL, such as `http://127.0.0.1:8080`; events go to `<url>/events/`. */
  readonly url: string;
  /** ms before a POST is abandoned. Default 5000. */
  readonly timeout?: number | undefined;
  /** Events waiting or in flight; past it, an event is dropped (`STATSKIT_ERR_QUEUE_FULL`). Default 100. */
  readonly maxPending?: number | undefined;
  /** Extra request headers (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface ResolvedGraphiteWebOptions {
  readonly url: string;
  readonly timeout: number;
  readonly maxPending: number;
  readonly headers: Readonly<Record<string, string>>;
}

function fail(message: string): never {
  throw new InvalidOptionError(`statskit: ${message}`);
}

function int(name: string, v: unknown, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    fail(`${name} must be an integer in [${min}, ${max}], got ${describe(v)}`);
  }
  return v;
}

const DEFAULT_PERCENTILES = Object.freeze([0.5, 0.75, 0.95, 0.98, 0.99, 0.999]);

/** A metric path segment from a user's API key: only `[A-Za-z0-9_-]`. */
const API_KEY = /^[A-Za-z0-9_-]+$/;

/** `carbon` option → resolved, or undefined when off. Throws InvalidOptionError. */
export function resolveCarbon(v: unknown): ResolvedCarbonOptions | undefined {
  if (v === undefined || v === false) return undefined;
  if (v !== true && (typeof v !== 'object' || v === null)) fail('carbon must be true or an object');
  const o: CarbonOptions = v === true ? {} : (v as CarbonOptions);
  const host = o.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '')
    fail(`carbon.host must be a non-empty string, got ${describe(host)}`);
  const protocol = o.protocol ?? 'tcp';
  if (protocol !== 'tcp' && protocol !== 'udp')
    fail(`carbon.protocol must be 'tcp' or 'udp', got ${describe(protocol)}`);
  const apiKey = o.apiKey ?? '';
  if (typeof apiKey !== 'string' || (apiKey !== '' && !API_KEY.test(apiKey))) {
    fail('carbon.apiKey must be a string of letters, digits, _ and -');
  }
  const percentiles = o.percentiles ?? DEFAULT_PERCENTILES;
  if (!Array.isArray(percentiles) || percentiles.some((p) => typeof p !== 'number' || !(p > 0 && p <= 1))) {
    fail('carbon.percentiles must be numbers in (0, 1]');
  }
  const reservoir = o.reservoir ?? 'histogram';
  if (reservoir !== 'histogram' && reservoir !== 'window')
    fail(`carbon.reservoir must be 'histogram' or 'window', got ${describe(reservoir)}`);
  const maxPacketSize = int('carbon.maxPacketSize', o.maxPacketSize, 64, 65_507, 1432);
  return Object.freeze({
    host,
    port: int('carbon.port', o.port, 1, 65_535, 2003),
    protocol,
    interval: int('carbon.interval', o.interval, 1000, 2_147_483_647, 10_000),
    apiKey,
    // ascending: the histogram finds them all in one scan of its buckets
    percentiles: Object.freeze([...new Set(percentiles)].sort((a, b) => a - b)),
    reservoir,
    reservoirSize: int('carbon.reservoirSize', o.reservoirSize, 1, 1_000_000, 1028),
    maxKeys: int('carbon.maxKeys', o.maxKeys, 1, 10_000_000, 10_000),
    maxSetMembers: int('carbon.maxSetMembers', o.maxSetMembers, 1, 100_000_000, 100_000),
    packetSize: protocol === 'udp' ? maxPacketSize : 64 * 1024,
  });
}

/** `graphiteWeb` option → resolved, or undefined when absent. Throws InvalidOptionError. */
export function resolveGraphiteWeb(v: unknown): ResolvedGraphiteWebOptions | undefined {
  if (v === undefined) return undefined;
  const o: GraphiteWebOptions =
    typeof v === 'string'
      ? { url: v }
      : typeof v === 'object' && v !== null
        ? (v as GraphiteWebOptions)
        : fail('graphiteWeb must be a URL string or an object');
  let url: URL;
  try {
    url = new URL(o.url);
  } catch {
    return fail(`graphiteWeb.url must be an http(s) URL, got ${describe(o.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail(`graphiteWeb.url must be http(s), got ${describe(o.url)}`);
  const headers = o.headers ?? {};
  if (typeof headers !== 'object' || headers === null) fail('graphiteWeb.headers must be an object');
  return Object.freeze({
    url: url.href.replace(/\/+$/, ''),
    timeout: int('graphiteWeb.timeout', o.timeout, 1, 2_147_483_647, 5000),
    maxPending: int('graphiteWeb.maxPending', o.maxPending, 1, 100_000, 100),
    headers: Object.freeze({ ...headers }),
  });
}
