import type { Writable } from 'node:stream';

/** Tags as hot-shots takes them: `{ key: 'value' }` or `['key:value', 'flag']`. */
export type HotShotsTags =
  | Readonly<Record<string, string | number | boolean | undefined>>
  | readonly string[];

/**
 * A per-call callback. Unbuffered (`maxBufferSize: 0`, the default for UDP and TCP): called once, after
 * the packet that carried the metric was handed to the socket, with `(undefined, bytes)` or `(error)`.
 * Buffered, sampled out or in mock mode: called synchronously once the call is handled.
 */
export type StatsCb = (error?: Error | null, bytes?: number) => void;

/** Per-call options, in place of `sampleRate` and `tags`. */
export interface HotShotsMetricOptions {
  /** Sample rate in (0, 1] for this call. */
  readonly sampleRate?: number | undefined;
  /** Tags for this call; on the same key they replace the client's. */
  readonly tags?: HotShotsTags | undefined;
  /** DogStatsD only: when the value was measured (`Date` or Unix seconds), sent as `|T<seconds>`. */
  readonly timestamp?: Date | number | undefined;
  /** Datadog-mode tag cardinality: accepted and not sent (reported once). */
  readonly cardinality?: 'none' | 'low' | 'orchestrator' | 'high' | undefined;
}

/** What a timed function is given as its last argument: tags added here go on the timing. */
export interface TimerContext {
  /** Add tags to the timing this call records. */
  addTags(tags: HotShotsTags): void;
}

/** Options of `event()`, named as hot-shots names them. */
export interface HotShotsEventOptions {
  /** Groups events with the same key (`|k:`). */
  readonly aggregation_key?: string | undefined;
  /** `info` (default), `warning`, `success` or `error` (`|t:`). */
  readonly alert_type?: 'info' | 'warning' | 'success' | 'error' | undefined;
  /** A `Date` or Unix seconds, rounded to the nearest second. */
  readonly date_happened?: Date | number | undefined;
  /** Host the event is about (`|h:`). */
  readonly hostname?: string | undefined;
  /** `normal` (default) or `low` (`|p:`). */
  readonly priority?: 'low' | 'normal' | undefined;
  /** Source type, e.g. `jenkins` (`|s:`). */
  readonly source_type_name?: string | undefined;
  /** Datadog-mode tag cardinality: accepted and not sent. */
  readonly cardinality?: 'none' | 'low' | 'orchestrator' | 'high' | undefined;
}

/** Options of `check()`, named as hot-shots names them. */
export interface HotShotsCheckOptions {
  /** A `Date` or Unix seconds, rounded to the nearest second. */
  readonly date_happened?: Date | number | undefined;
  /** Host the check is about (`|h:`). */
  readonly hostname?: string | undefined;
  /** What the status means (`|m:`, sent last). */
  readonly message?: string | undefined;
  /** Datadog-mode tag cardinality: accepted and not sent. */
  readonly cardinality?: 'none' | 'low' | 'orchestrator' | 'high' | undefined;
}

/** Service check statuses. */
export interface DatadogChecks {
  /** The service is healthy. */
  readonly OK: 0;
  /** Degraded. */
  readonly WARNING: 1;
  /** Failing. */
  readonly CRITICAL: 2;
  /** The check could not tell. */
  readonly UNKNOWN: 3;
}

/** One of the {@link DatadogChecks} values. */
export type DatadogChecksValues = DatadogChecks[keyof DatadogChecks];

/**
 * The constructor options of hot-shots' `StatsD`, as its README documents them. Options statskit cannot
 * honour are reported once through `errorHandler`; invalid values are reported there too and replaced by
 * the default (never thrown). docs/migrating.md has the table.
 */
export interface HotShotsOptions {
  /** statsd host; default `DD_AGENT_HOST`, then `127.0.0.1`. */
  readonly host?: string | undefined;
  /** statsd port; default `DD_DOGSTATSD_PORT`, then 8125. */
  readonly port?: number | undefined;
  /** Prepended to every name; a `.` is added when missing. */
  readonly prefix?: string | undefined;
  /** Appended to every name; a `.` is added when missing. */
  readonly suffix?: string | undefined;
  /** Put before the tag list. Default `#`. Not with `telegraf`. */
  readonly tagPrefix?: string | undefined;
  /** Between tags. Default `,`. Not with `telegraf`. */
  readonly tagSeparator?: string | undefined;
  /** Expose this client as `global.statsd`. */
  readonly globalize?: boolean | undefined;
  /** Cache DNS lookups for `cacheDnsTtl` ms. statskit always caches (default 60 s). */
  readonly cacheDns?: boolean | undefined;
  /** How long a lookup is reused with `cacheDns`. */
  readonly cacheDnsTtl?: number | undefined;
  /** Send nothing: lines go to `mockBuffer`. */
  readonly mock?: boolean | undefined;
  /** Tags on every metric; repeated keys in an array are all kept. */
  readonly globalTags?: HotShotsTags | undefined;
  /** hot-shots' older name of `globalTags`, used when `globalTags` is not given. */
  readonly global_tags?: HotShotsTags | undefined;
  /** Add `DD_ENTITY_ID`, `DD_ENV`, `DD_SERVICE`, `DD_VERSION` and `DD_TAGS` to the global tags. Default true. */
  readonly includeDataDogTags?: boolean | undefined;
  /** 0 (default for UDP/TCP): send at the end of the tick. Above 0: flush once that many bytes are buffered. */
  readonly maxBufferSize?: number | undefined;
  /** Longest time, in ms, a buffered metric waits. Default 1000. */
  readonly bufferFlushInterval?: number | undefined;
  /** Telegraf's line format: tags in the name as `k=v`; no events or checks. */
  readonly telegraf?: boolean | undefined;
  /** Default sample rate in (0, 1]. */
  readonly sampleRate?: number | undefined;
  /** Receives every error not given to a per-call callback. */
  readonly errorHandler?: ((err: Error) => void) | undefined;
  /** Send to the default gateway (Linux; read from /proc/net/route), for containers. */
  readonly useDefaultRoute?: boolean | undefined;
  /** `udp` (default), `tcp`, `uds` (a unix *datagram* socket, needs the optional `unix-dgram`) or `stream`. */
  readonly protocol?: 'udp' | 'tcp' | 'uds' | 'stream' | undefined;
  /** Unix socket path for `uds`. Default `/var/run/datadog/dsd.socket`. */
  readonly path?: string | undefined;
  /** The Writable for `protocol: 'stream'`. */
  readonly stream?: Writable | undefined;
  /** Accepted: close() waits for everything pending without polling. */
  readonly closingFlushInterval?: number | undefined;
  /** Accepted: TCP reconnects with backoff. */
  readonly tcpGracefulErrorHandling?: boolean | undefined;
  /** Accepted: TCP reconnects with backoff. */
  readonly tcpGracefulRestartRateLimit?: number | undefined;
  /** Accepted. */
  readonly udsGracefulErrorHandling?: boolean | undefined;
  /** Accepted. */
  readonly udsGracefulRestartRateLimit?: number | undefined;
  /** Not supported (reported once). */
  readonly udsRetryOptions?: object | undefined;
  /** Only `type: 'udp6'` / `'udp4'` is honoured (as the address family); the rest is reported once. */
  readonly udpSocketOptions?:
    | {
        /** `udp6` for IPv6, `udp4` for IPv4. */
        readonly type?: 'udp4' | 'udp6' | undefined;
      }
    | undefined;
  /** Not supported (reported once when true). */
  readonly includeDatadogTelemetry?: boolean | undefined;
  /** Not supported (reported once). */
  readonly telemetryFlushInterval?: number | undefined;
  /** Datadog mode (origin detection, cardinality): not supported (reported once when true). */
  readonly datadog?: boolean | undefined;
  /** Not supported (reported once when true). */
  readonly originDetection?: boolean | undefined;
  /** Not supported (reported once). */
  readonly containerID?: string | undefined;
  /** Not supported (reported once). */
  readonly cardinality?: 'none' | 'low' | 'orchestrator' | 'high' | undefined;
  /** Client-side aggregation: not supported here (use `@statskit/client`'s `aggregate`); reported once. */
  readonly aggregation?: boolean | object | undefined;
}

/** Options of `childClient()`. */
export interface HotShotsChildOptions {
  /** Goes before the parent's prefix. */
  readonly prefix?: string | undefined;
  /** Goes after the parent's suffix. */
  readonly suffix?: string | undefined;
  /** Added to the parent's; on the same key they replace the parent's. */
  readonly globalTags?: HotShotsTags | undefined;
  /** Errors of this child (default: the parent's handler). */
  readonly errorHandler?: ((err: Error) => void) | undefined;
  /** Not supported (reported once). */
  readonly cardinality?: 'none' | 'low' | 'orchestrator' | 'high' | undefined;
}

/** A metric name, or several names that each get the same value (hot-shots sends one line per name). */
export type Stat = string | readonly string[];

/**
 * What every metric method takes after the name and the value, as hot-shots documents it: `sampleRate`,
 * `tags` and `callback`, each of the first two may be left out, or an options object in their place. One
 * tuple per form; every method's signature spreads it.
 */
export type CallRest =
  | [sampleRate?: number, tags?: HotShotsTags, callback?: StatsCb]
  | [tags?: HotShotsTags, callback?: StatsCb]
  | [callback?: StatsCb]
  | [sampleRate?: number, callback?: StatsCb]
  | [options?: HotShotsMetricOptions, callback?: StatsCb];

/**
 * `timing`, `histogram`, `distribution`, `gauge`, `gaugeDelta`, `set` and `unique` (`V` is the value's
 * type): `(stat, value, ...CallRest)`.
 */
export type MetricCall<V> = (stat: Stat, value: V, ...rest: CallRest) => void;

/** `increment` and `decrement`: as {@link MetricCall}, and the value (default 1) may be left out. */
export type CountCall = (stat: Stat, ...rest: [value?: number, ...CallRest] | CallRest) => void;

/**
 * The arguments of a function wrapped by `timer()`: without the trailing {@link TimerContext} the wrapper
 * adds (the function may declare it or not).
 */
export type WithoutContext<A extends unknown[]> = A extends [...infer P, TimerContext] ? P | A : A;

/** What a wrapped function returns: `R`, or a promise of it for the async timers. */
export type TimedResult<R, Async extends boolean> = Async extends true ? Promise<R> : R;

/**
 * `timer` (`Async` false) and `asyncTimer` / `asyncDistTimer` (`Async` true): wrap `func` so that each
 * call is timed; the arguments after the name as in {@link CallRest}.
 */
export type TimerCall<Async extends boolean> = <A extends unknown[], R>(
  func: (...args: A) => TimedResult<R, Async>,
  stat: Stat,
  ...rest: CallRest
) => (...args: WithoutContext<A>) => TimedResult<R, Async>;
