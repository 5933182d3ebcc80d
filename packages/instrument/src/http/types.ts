import type { StatsClient } from '@statskit/client';

/**
 * `names` (default): host and method are name segments (`http_client.api_example_com.GET`).
 * `tags`: stable names (`http_client.request`, `http_client.errors`) tagged `host`, `method`, `status`,
 * `status_class`, `error`; needs a client whose `tagFormat` is not `none`.
 */
export type HttpClientStatsMode = 'names' | 'tags';

/** Which status counters (names mode): the exact code (`200`), the class (`2xx`), or both. */
export type HttpClientStatusGrouping = 'code' | 'class' | 'both';

/**
 * The bounded set of error codes outbound calls are counted under (`http_client.<host>.errors.<code>`).
 * Timeouts of every kind are `ETIMEDOUT`; aborts (AbortSignal, `req.destroy()`) are `ABORTED`; TLS and
 * certificate failures are `TLS`; anything else is `OTHER`.
 */
export type HttpClientErrorCode =
  | 'ECONNREFUSED'
  | 'ECONNRESET'
  | 'ETIMEDOUT'
  | 'ENOTFOUND'
  | 'EHOSTUNREACH'
  | 'ENETUNREACH'
  | 'ABORTED'
  | 'TLS'
  | 'OTHER';

/** Options shared by every outbound HTTP instrumentation (undici interceptor, diagnostics channel, Agent). */
export interface HttpClientStatsOptions {
  /** Where metrics go (sent as given: add a prefix of your own with `stats.child({ prefix })`). */
  readonly stats: StatsClient;
  /** First name segment(s). Default `'http_client'`; `''` for none. */
  readonly prefix?: string | undefined;
  /** `'names'` (default) or `'tags'`. */
  readonly mode?: HttpClientStatsMode | undefined;
  /** Status counters by exact code, class (`2xx`) or both (names mode). Default `'both'`. */
  readonly statusGrouping?: HttpClientStatusGrouping | undefined;
  /**
   * Hosts reported under their own name. A string matches the host name (`api.example.com`) or
   * host and port (`localhost:8080`), case-insensitively; a RegExp is tested against `host[:port]`
   * (lower case). Calls to any other host are reported as `__other__`. Default: every host, up to
   * `maxHosts`.
   */
  readonly hosts?: readonly (string | RegExp)[] | undefined;
  /**
   * Most distinct hosts reported by name (default 50). Later hosts are reported as `__other__`, so
   * calls to arbitrary URLs cannot flood the metrics backend.
   */
  readonly maxHosts?: number | undefined;
  /**
   * Add each call's time to the request being handled (`currentRequest()?.add('http', ms)`), so request
   * metrics carry per-route outbound call counts and time. Default `true`.
   */
  readonly request?: boolean | undefined;
  /**
   * Status counters are summed in process and sent once per this many ms, and
   * whenever the client flushes or closes. `0` (the default) sends each count at once, one line per call.
   */
  readonly counterInterval?: number | undefined;
}

/** A running instrumentation that can be removed. */
export interface HttpClientInstrumentation {
  /** Stop recording and remove every subscription (idempotent). */
  uninstall(): void;
}
