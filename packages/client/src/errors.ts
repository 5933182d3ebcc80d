/**
 * Every problem statskit reports is a {@link StatsError} with a stable string `code`.
 * Construction errors are thrown; everything after construction goes to `onError`.
 */

/** The codes statskit reports. Match on these, not on messages. See docs/errors.md. */
export const ErrorCodes = {
  /** An option passed to the constructor or `child()` is invalid. Thrown, never sent to onError. */
  INVALID_OPTION: 'STATSKIT_ERR_INVALID_OPTION',
  /** A metric name is empty or not a string. The metric is dropped. */
  INVALID_NAME: 'STATSKIT_ERR_INVALID_NAME',
  /** A metric value is NaN, ±Infinity or not a number. The metric is dropped. */
  INVALID_VALUE: 'STATSKIT_ERR_INVALID_VALUE',
  /** A per-call sample rate outside (0, 1]. The metric is dropped. */
  INVALID_RATE: 'STATSKIT_ERR_INVALID_RATE',
  /** A tag that is neither a string nor a key/value pair. The tag is dropped. */
  INVALID_TAG: 'STATSKIT_ERR_INVALID_TAG',
  /** A single line is larger than the packet size. It is dropped, never sent truncated. */
  LINE_TOO_LARGE: 'STATSKIT_ERR_LINE_TOO_LARGE',
  /** The statsd host could not be resolved. Packets waiting for it are dropped. */
  DNS: 'STATSKIT_ERR_DNS',
  /** The socket failed to send a packet (ECONNREFUSED from ICMP, EMSGSIZE, ...). */
  SEND: 'STATSKIT_ERR_SEND',
  /** The socket itself failed or could not connect. */
  SOCKET: 'STATSKIT_ERR_SOCKET',
  /**
   * A stream transport (TCP, Unix socket) could not connect or reconnect. Packets keep waiting in the
   * queue (up to `maxQueueBytes`) and the transport retries with backoff. Reported once per outage.
   */
  CONNECT: 'STATSKIT_ERR_CONNECT',
  /** The client is closed: the metric is dropped. */
  CLOSED: 'STATSKIT_ERR_CLOSED',
  /** Packets waiting for a socket exceeded the queue limit and were dropped. */
  QUEUE_FULL: 'STATSKIT_ERR_QUEUE_FULL',
  /** `close()` gave up waiting for the transport; what was still pending is lost. */
  CLOSE_TIMEOUT: 'STATSKIT_ERR_CLOSE_TIMEOUT',
  /** A user callback (custom transport, onError itself) threw; statskit caught it. */
  CALLBACK: 'STATSKIT_ERR_CALLBACK',
  /**
   * An options object (of `new StatsClient()` or `child()`) has a key that is not an option, such as the
   * typo `prefx`: it is ignored. Reported once per construction, naming the closest valid key.
   */
  UNKNOWN_OPTION: 'STATSKIT_ERR_UNKNOWN_OPTION',
  /**
   * An in-process aggregate (`aggregate` option: a counter's sum, a gauge plus its deltas, a timer
   * summary's mean) overflowed to ±Infinity although every value was finite. That line is not sent.
   */
  OVERFLOW: 'STATSKIT_ERR_OVERFLOW',
  /**
   * A unix *datagram* socket was asked for (`@statskit/client/hot-shots` with `protocol: 'uds'`, or
   * `udsDatagramTransport()`), but the optional native module `unix-dgram` is not installed or did not
   * build. Every packet is dropped; install `unix-dgram` (with its install script allowed) or use a
   * stream socket / UDP.
   */
  UNIX_DGRAM_UNAVAILABLE: 'STATSKIT_ERR_UNIX_DGRAM_UNAVAILABLE',
  /** An option of `@statskit/client/hot-shots`' `StatsD` that statskit does not honour. Reported once. */
  UNSUPPORTED_OPTION: 'STATSKIT_ERR_UNSUPPORTED_OPTION',
  /**
   * The direct carbon reporter (`carbon` option) already holds `carbon.maxKeys` series: a new name/tag
   * combination is dropped (counted in `droppedBy.overflow`). Reported once per interval.
   */
  TOO_MANY_KEYS: 'STATSKIT_ERR_TOO_MANY_KEYS',
  /** A Graphite event (`annotate()`) could not be stored: graphite-web refused, failed or timed out. */
  EVENT_FAILED: 'STATSKIT_ERR_EVENT_FAILED',
  /**
   * An aggregated set (`aggregate` option) already holds `aggregate.maxSetMembers` distinct members this
   * interval: further new members are sent as raw lines (not de-duplicated). Reported once per set and
   * interval.
   */
  TOO_MANY_MEMBERS: 'STATSKIT_ERR_TOO_MANY_MEMBERS',
} as const;

/** One of the {@link ErrorCodes} values. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

const kStatsError = Symbol.for('statskit.error');

/** Base class of every statskit error. `code` is stable; `cause` holds the underlying error, if any. */
export class StatsError extends Error {
  /** The class name, as `Error` subclasses have. */
  override name = 'StatsError';
  /** A stable `STATSKIT_ERR_*` code: match on it, not on the message (docs/errors.md). */
  readonly code: ErrorCode;
  /** Set by `Symbol.for`, so errors are recognised across duplicate copies of the package. */
  readonly [kStatsError] = true;
  /**
   * Only with the `onErrorInterval` option: how many errors of this code onError did not receive since
   * the previous one it did (0 for the first of a burst). Undefined otherwise.
   */
  declare readonly suppressed?: number;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for any statskit error, even one created by another copy of this package. */
  static is(value: unknown): value is StatsError {
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kStatsError] === true
    );
  }
}

/** A constructor option is invalid. Thrown by `new StatsClient()` and `child()`. */
export class InvalidOptionError extends StatsError {
  /** The class name, as `Error` subclasses have. */
  override name = 'InvalidOptionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.INVALID_OPTION, message, options);
  }
}

/**
 * A metric call had a bad name, value, rate or tag, or an aggregate of good values overflowed; the metric
 * (or tag) was dropped.
 */
export class InvalidMetricError extends StatsError {
  /** The class name, as `Error` subclasses have. */
  override name = 'InvalidMetricError';
  /** The metric name as the caller passed it (may be a non-string). */
  readonly metric: unknown;
  constructor(
    code:
      | typeof ErrorCodes.INVALID_NAME
      | typeof ErrorCodes.INVALID_VALUE
      | typeof ErrorCodes.INVALID_RATE
      | typeof ErrorCodes.INVALID_TAG
      | typeof ErrorCodes.LINE_TOO_LARGE
      | typeof ErrorCodes.OVERFLOW
      | typeof ErrorCodes.TOO_MANY_KEYS
      | typeof ErrorCodes.TOO_MANY_MEMBERS,
    message: string,
    metric: unknown,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.metric = metric;
  }
}

/** A transport-level failure: DNS, socket, send, queue overflow, close timeout. */
export class TransportError extends StatsError {
  /** The class name, as `Error` subclasses have. */
  override name = 'TransportError';
  constructor(
    code:
      | typeof ErrorCodes.DNS
      | typeof ErrorCodes.SEND
      | typeof ErrorCodes.SOCKET
      | typeof ErrorCodes.CONNECT
      | typeof ErrorCodes.QUEUE_FULL
      | typeof ErrorCodes.CLOSE_TIMEOUT
      | typeof ErrorCodes.UNIX_DGRAM_UNAVAILABLE,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A metric call or flush on a client that is closed. */
export class ClientClosedError extends StatsError {
  /** The class name, as `Error` subclasses have. */
  override name = 'ClientClosedError';
  constructor(what: string) {
    super(ErrorCodes.CLOSED, `statskit: ${what} after close(); dropped`);
  }
}

/** Wraps anything a user callback threw. */
export function callbackError(where: string, cause: unknown): StatsError {
  return new StatsError(ErrorCodes.CALLBACK, `statskit: ${where} threw`, { cause });
}
