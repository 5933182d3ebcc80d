import type { StatsClient, Tags } from '@statskit/client';
import type { RequestContext } from './context.js';

/** What request-scoped instrumentation counts. Other strings work too (sanitized, at most 16 per request). */
export type ContextKind = 'db' | 'cache' | 'http' | (string & {});

/** One kind's totals for one request. */
export interface KindTotals {
  /** The kind of operation (`db`, `cache`, `http`). */
  readonly kind: string;
  /** Operations counted. */
  readonly count: number;
  /** Their total duration, in ms. */
  readonly timeMs: number;
}

/** One finished request, as every framework adapter reports it to the recorder. */
export interface FinishedRequest {
  /** The HTTP method as received (`GET`). Unknown methods are reported as `OTHER`. */
  readonly method: string;
  /**
   * The route *template* that handled the request (`/users/:id`), or `undefined` when no route matched
   * (those requests share the key `__unmatched__`).
   */
  readonly route: string | undefined;
  /** The status the client got; 499 when the client went away before the response was complete. */
  readonly status: number;
  /** From the start of handling to the end of the response (or the disconnect), in ms. */
  readonly durationMs: number;
  /** The error the framework handled for this request, if any (counted in `errors`). */
  readonly error?: unknown;
  /** The request's context: DB/cache/HTTP-client totals. */
  readonly context?: RequestContext | undefined;
  /**
   * Request body bytes (`Content-Length`; 0 for a request without a body), for `sizes: true`.
   * `undefined` when unknown (a chunked upload): not reported.
   */
  readonly requestBytes?: number | undefined;
  /** Response body bytes written, for `sizes: true`. `undefined`: not reported. */
  readonly responseBytes?: number | undefined;
  /**
   * Tags for this request only (`tagRequest()` in the adapters), added to every metric of the request.
   * Each distinct value is a new series: keep them few (a plan, a region; never a user id). Counts of a
   * tagged request are sent at once instead of being summed.
   */
  readonly tags?: Tags | undefined;
}

/** Groups of request metrics; each can be switched off. See docs/metrics.md. */
export type MetricGroup = 'route' | 'aggregate' | 'errors' | 'context';

/** Which status counters: the exact code (`200`), the class (`2xx`), or both. */
export type StatusGrouping = 'code' | 'class' | 'both';

/**
 * `names`: route, method and status are name segments (`view.users._id.GET`), for any statsd server.
 * `tags`: a few stable names carry `route`, `method`, `status`, `status_class` tags; needs a client whose
 * `tagFormat` is not `none`.
 */
export type RecorderMode = 'names' | 'tags';

/** A route as the recorder knows it; given to `routeTags` once per route and method. */
export interface RouteInfo {
  /** The encoded route key (`users._id`, `root`, `__unmatched__`). */
  readonly key: string;
  /** The route template, or `undefined` for unmatched requests. */
  readonly template: string | undefined;
  /** The normalized method (`GET`, ..., `OTHER`). */
  readonly method: string;
}

/**
 * The statsd type the per-request counts (`view.<route>.db.count`, `db.count`, ...) are sent as.
 * `h` (default) is a histogram, which the client writes as its `server` dialect allows: `|h` for
 * DogStatsD and Telegraf, `|ms` for etsy statsd (which counts `|h` as a plain counter) — a
 * distribution (count, mean, upper, percentiles) on every server. `ms` always sends a timer; `d` a
 * distribution (DogStatsD; `|h` on Telegraf, `|ms` on etsy).
 */
export type CountMetricType = 'ms' | 'h' | 'd';

/** Options of {@link createRequestRecorder}. */
export interface RequestRecorderOptions {
  /** Where metrics go. The recorder sends through a child of it (prefix + tags). */
  readonly client: StatsClient;
  /** Prepended to every request metric, after the client's own prefix. Default `'http'`; `''` for none. */
  readonly prefix?: string | undefined;
  /** `'names'` (default) or `'tags'`. */
  readonly mode?: RecorderMode | undefined;
  /** Switch metric groups on or off. Default: all on. */
  readonly metrics?: Readonly<Partial<Record<MetricGroup, boolean>>> | undefined;
  /** Status counters by exact code, class, or both. Default `'both'`. */
  readonly statusGrouping?: StatusGrouping | undefined;
  /** Tags on every request metric (on top of the client's). */
  readonly tags?: Tags | undefined;
  /**
   * Extra tags for one route, asked once per (route, method) and cached. Return `undefined` for none.
   * A throwing function counts as `undefined`.
   */
  readonly routeTags?: ((route: RouteInfo) => Tags | undefined) | undefined;
  /**
   * Most distinct route keys kept (default 1000). Beyond it, new routes are reported under
   * `__overflow__`, so a mistake in a custom key function cannot flood the metrics backend.
   */
  readonly maxRoutes?: number | undefined;
  /**
   * What joins a route template's path segments in its key. `'.'` (default): one Graphite node per path
   * segment, `/users/:id` → `users._id`. A string of `-` and `_` (e.g. `'-'`: `users-_id`,
   * `api-v1-items-_sku`) keeps every route in one node, so `http.view.*.GET.p95` selects every route's
   * p95 in one Graphite expression whatever the routes' depths (docs/graphite.md, "Per-route queries").
   * The `route` tag of tags mode is the same key.
   */
  readonly routeSeparator?: string | undefined;
  /**
   * Counters (status codes, errors) are summed in process and sent once per this many ms, one line per
   * counter, instead of one line per request; statsd sums them the same way. Default `0` (every count
   * handed to the client at once) when the client aggregates (`stats.aggregating`, the client's default),
   * else 1000. Call `flush()` before closing the client so the last interval is not lost.
   */
  readonly counterInterval?: number | undefined;
  /**
   * The statsd type of the per-request counts (`<kind>.count`): `'ms'` (default: every statsd server,
   * etsy statsd included, aggregates timer data as a distribution, whatever the client's `server`
   * option says), `'h'` (a histogram in the client's `server` dialect: `|ms` on etsy, `|h` on DogStatsD
   * and Telegraf) or `'d'`. See {@link CountMetricType}.
   */
  readonly countType?: CountMetricType | undefined;
  /**
   * Send request and response body sizes (`request.bytes`, `response.bytes`; per route in names mode)
   * for requests that report them (`requestBytes`/`responseBytes`). Default `false`.
   */
  readonly sizes?: boolean | undefined;
}

/** Turns finished requests into metrics. One per app; cheap to call once per request. */
export interface RequestRecorder {
  /** Send the metrics of one finished request. Never throws. */
  record(request: FinishedRequest): void;
  /** Send the counts summed so far now (see `counterInterval`). */
  flush(): void;
  /** The key a route template is reported under (cached), `__unmatched__` for `undefined`. */
  routeKey(template: string | undefined): string;
  /** The client the recorder sends through: the given client's child with `prefix` and `tags`. */
  readonly client: StatsClient;
  /** Options after defaults. */
  readonly mode: RecorderMode;
}
