import type { StatsError } from './errors.js';

/**
 * Tags: `{ env: 'prod', flag: true }`, `['env:prod', 'flag']` or a `Map` of the same key/values. A `true`
 * value (or a bare string) is a flag tag; `false`, `null` and `undefined` values are left out. Only an
 * object's own enumerable keys are read.
 */
export type Tags =
  | Readonly<Record<string, string | number | boolean>>
  | readonly string[]
  | ReadonlyMap<string, string | number | boolean>;

/** How tags are written on the wire. */
export type TagFormat = 'datadog' | 'telegraf' | 'graphite' | 'none';

/**
 * The statsd server the client talks to, which decides what the wire may carry. With none named, the
 * client sends the portable form every one of them reads: one value per line, histograms and
 * distributions as timers (`|ms`), no `|T` timestamps, no sample rate on gauges and sets (see
 * docs/protocol.md, "Which server reads what").
 * - `'etsy'`: the etsy statsd daemon (and Graphite shops): histograms and distributions are sent as
 *   timers (`|ms`, which it turns into count/mean/upper/percentiles; it counts `|h` as a plain counter),
 *   no DogStatsD-only field (`|T` timestamps), and aggregated timer samples in its multi-value form
 *   (`name:1|ms:2|ms`).
 * - `'dogstatsd'`: the Datadog Agent: `|h`, `|d`, `|T` as given; multi-value `name:1:2|ms` (DogStatsD 1.1).
 * - `'telegraf'`: Telegraf's statsd input: distributions as `|h` (it reads `|d` only with
 *   `datadog_distributions`), no `|T` timestamps; multi-value in the etsy form, which its parser reads.
 * - `'collectd'`: collectd's statsd plugin: the portable form, Graphite `;k=v` tags in the name (it
 *   drops any line with a `|#` field), and no sample rate on timers (it divides a timer's value by it).
 * - `'statsd_exporter'`: Prometheus' statsd_exporter: `|h` and `|d` as given (it reads `|ms` as
 *   milliseconds and divides by 1000), multi-value `name:1:2|ms`, no `|T`. It has no sets.
 */
export type StatsServer = 'etsy' | 'dogstatsd' | 'telegraf' | 'collectd' | 'statsd_exporter';

/** Metric types as they appear on the wire. */
export type MetricType = 'c' | 'g' | 'ms' | 'h' | 'd' | 's';

/** Per-call options of every metric method. */
export interface MetricOptions {
  /** Sample rate in (0, 1]; overrides the client's `sampleRate`. */
  readonly rate?: number | undefined;
  /** Tags for this call only; on the same key they win over the client's tags. */
  readonly tags?: Tags | undefined;
  /**
   * DogStatsD only: when the value was measured, as a `Date` or Unix time in **seconds**; sent as
   * `|T<seconds>`. Counts and gauges only (DogStatsD protocol 1.3); ignored on other types. Such a
   * metric bypasses in-process aggregation. Other servers reject the line.
   */
  readonly timestamp?: Date | number | undefined;
}

/** Options of `time()` and `timer()`. */
export interface TimeOptions extends MetricOptions {
  /** Extra tags added only when the timed function throws or rejects, e.g. `{ outcome: 'error' }`. */
  readonly errorTags?: Tags | undefined;
}

/**
 * Counters of what the client did, from `stats.telemetry()`. All monotonic except `queueBytes` and the
 * `*Sent` counters: a packet counted as sent when the kernel took it moves to `droppedBy.sendError` when
 * it turns out lost (a UDP packet refused by ICMP port-unreachable; packets written on a TCP/unix
 * connection the server closed before it was confirmed). See docs/transports.md, "What telemetry sees".
 */
export interface Telemetry {
  /**
   * Lines the client was given: those accepted (formatted and handed to the batcher, or written by an
   * aggregate or the carbon reporter) and those refused before sending (invalid, too large, after close,
   * overflowed, past `maxKeys`). So `linesSent + linesDropped === metrics` once nothing is queued or in
   * flight. Calls folded into an aggregate count in `aggregated`, not here: the lines they become do.
   */
  metrics: number;
  /** Calls skipped by client-side sampling (not an error). */
  sampledOut: number;
  /** Calls folded into an in-process aggregate (`aggregate` option); their lines count in `metrics`. */
  aggregated: number;
  /** Packets, lines and bytes the kernel accepted (the socket's write/send callback succeeded). */
  packetsSent: number;
  /** Lines in the packets the kernel accepted. */
  linesSent: number;
  /** Bytes of the packets the kernel accepted. */
  bytesSent: number;
  /** Packets/lines/bytes that were given up on, and why. */
  packetsDropped: number;
  /** Lines given up on, every reason. */
  linesDropped: number;
  /** Bytes given up on, every reason. */
  bytesDropped: number;
  /** Lines given up on, by reason. */
  droppedBy: {
    /** Rejected by validation (name, value, rate). */
    invalid: number;
    /** A line larger than `maxPacketSize`. */
    tooLarge: number;
    /** Sent after `close()`. */
    closed: number;
    /** Dropped because `maxQueueBytes` was exceeded while waiting for a socket. */
    queueFull: number;
    /** Refused by the socket, or lost with a broken connection. */
    sendError: number;
    /** Waiting for a host name that could not be resolved. */
    dns: number;
    /** Aggregated lines not sent because the aggregate overflowed to ±Infinity (`STATSKIT_ERR_OVERFLOW`). */
    overflow: number;
  };
  /** Errors reported to onError (every one, also those `onErrorInterval` held back from it). */
  errors: number;
  /** Bytes currently waiting in the transport (e.g. while the socket connects). */
  queueBytes: number;
}

/** What a transport is given by the client. */
export interface TransportContext {
  /** Report a problem; never throws. */
  readonly onError: (err: StatsError) => void;
  /** Counters to update: packetsSent/linesSent/bytesSent, drops, queueBytes. */
  readonly telemetry: Telemetry;
}

/**
 * Moves packets to a statsd server. One file per transport (udp, tcp, uds, memory).
 * A transport never throws from `send`; it reports through the context's `onError`.
 */
export interface Transport {
  /**
   * Hand over one packet: `lines` newline-separated statsd lines, `bytes` long in UTF-8.
   * Fire-and-forget: returns at once.
   */
  send(packet: string, bytes: number, lines: number): void;
  /** Resolves when everything handed to `send` so far is written to the OS (or dropped and counted). */
  flush(): Promise<void>;
  /** Flush, then release sockets and timers. Later sends are dropped. */
  close(): Promise<void>;
}

/**
 * What the client's own transports implement: each packet as its UTF-8 bytes, `bytes` equal to
 * `packet.length`. A user's string-based {@link Transport} is adapted to it. Internal.
 */
export interface PacketTransport {
  send(packet: Buffer, bytes: number, lines: number): void;
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Give up on anything pending (close() timed out). */
  abort?(): void;
  /**
   * Lines handed to the transport that are not on their way to the server and cannot be sent
   * synchronously: waiting for a lookup or a connect, or behind a congested stream. Asked when the
   * process exits; 0 (or absent) when everything left.
   */
  unsentLines?(): number;
}

/** Creates a transport once the client has resolved its options. */
export type TransportFactory = (ctx: TransportContext) => Transport;

export function createTelemetry(): Telemetry {
  return {
    metrics: 0,
    sampledOut: 0,
    aggregated: 0,
    packetsSent: 0,
    linesSent: 0,
    bytesSent: 0,
    packetsDropped: 0,
    linesDropped: 0,
    bytesDropped: 0,
    droppedBy: { invalid: 0, tooLarge: 0, closed: 0, queueFull: 0, sendError: 0, dns: 0, overflow: 0 },
    errors: 0,
    queueBytes: 0,
  };
}

/** Count a packet as dropped for `reason`. */
export function countDrop(
  t: Telemetry,
  reason: keyof Telemetry['droppedBy'],
  bytes: number,
  lines: number,
): void {
  t.packetsDropped++;
  t.linesDropped += lines;
  t.bytesDropped += bytes;
  t.droppedBy[reason] += lines;
}

/** Count a packet as written. */
export function countSent(t: Telemetry, bytes: number, lines: number): void {
  t.packetsSent++;
  t.linesSent += lines;
  t.bytesSent += bytes;
}

/**
 * Move packets already counted as sent to dropped (`sendError`): the kernel took them, but they were
 * refused (UDP ECONNREFUSED) or the connection died before it was confirmed.
 */
export function uncountSent(t: Telemetry, packets: number, bytes: number, lines: number): void {
  t.packetsSent -= packets;
  t.linesSent -= lines;
  t.bytesSent -= bytes;
  t.packetsDropped += packets;
  t.linesDropped += lines;
  t.bytesDropped += bytes;
  t.droppedBy.sendError += lines;
}
