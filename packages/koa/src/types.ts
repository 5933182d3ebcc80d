import type { ClientOptions, StatsClient, Tags } from '@statskit/client';
import type {
  CountMetricType,
  MetricGroup,
  RecorderMode,
  RequestRecorder,
  RouteInfo,
  RouteStatsConfig,
  StatusGrouping,
} from '@statskit/instrument';
import type { Context, Middleware } from 'koa';

declare module 'koa' {
  // Koa's augmentation point for `ctx` (the way koa-session adds `ctx.session`).
  interface DefaultContext {
    /**
     * The statskit client of `statsdMiddleware()` (a child of the one you gave it), for your own metrics
     * in handlers: `ctx.stats.incr('signups')`. Set on every request the middleware sees.
     */
    stats: StatsClient;
  }
}

/** Paths to leave unmeasured: exact paths, `'/prefix/*'`, RegExps, or a predicate. */
export type ExcludeOption = readonly (string | RegExp)[] | ((ctx: Context) => boolean);

/**
 * A custom route key: return a route *template* (encoded like any other, e.g. `/users/:id`) or
 * `undefined` to keep the default. `route` is the template @koa/router matched, `undefined` when none
 * did. Called once per request; the result must come from a small set or it ends up in `__overflow__`.
 */
export type KeyFunction = (ctx: Context, route: string | undefined) => string | undefined;

/** Options of {@link statsdMiddleware}. All optional. */
export interface StatsdMiddlewareOptions {
  /**
   * A `StatsClient` to send through, or options to create one (default: `new StatsClient()`, i.e.
   * `STATSD_HOST`/`STATSD_PORT` or 127.0.0.1:8125). A client created here is closed by `close()`.
   */
  readonly client?: StatsClient | ClientOptions | undefined;
  /** Prepended to every request metric, after the client's prefix. Default `'http'`; `''` for none. */
  readonly prefix?: string | undefined;
  /** `'names'` (default): route/method/status in the name. `'tags'`: as tags on stable names. */
  readonly mode?: RecorderMode | undefined;
  /** Metric groups to send: `route`, `aggregate`, `errors`, `context`. Default: all on. */
  readonly metrics?: Readonly<Partial<Record<MetricGroup, boolean>>> | undefined;
  /** Status counters by exact code, class (`2xx`) or both. Default `'both'`. */
  readonly statusGrouping?: StatusGrouping | undefined;
  /** Tags on every request metric. */
  readonly tags?: Tags | undefined;
  /** Extra tags per route, asked once per (route, method). */
  readonly routeTags?: ((route: RouteInfo) => Tags | undefined) | undefined;
  /** Requests not to measure (health checks): matched against the path, before routing. */
  readonly exclude?: ExcludeOption | undefined;
  /** Methods not to measure. Default `['OPTIONS']` (CORS preflights). */
  readonly skipMethods?: readonly string[] | undefined;
  /** A custom route key. */
  readonly key?: KeyFunction | undefined;
  /** Most distinct route keys before new ones go to `__overflow__`. Default 1000. */
  readonly maxRoutes?: number | undefined;
  /**
   * Status and error counters are summed in process and sent once per this many ms (default 1000);
   * `0` sends each count at once. `close()` sends what is pending.
   */
  readonly counterInterval?: number | undefined;
  /**
   * Run each request in a `@statskit/instrument` request context, so DB/cache/HTTP-client work is
   * attributed to it. `'auto'` (default): once anything uses contexts. `true`: always. `false`: never.
   */
  readonly context?: boolean | 'auto' | undefined;
  /**
   * Send request and response body sizes (`view.<route>.request.bytes`, `.response.bytes`, and overall;
   * docs/metrics.md): the request's `Content-Length`, the response body bytes written. Default `false`.
   */
  readonly sizes?: boolean | undefined;
  /**
   * The statsd type of the per-request DB/cache/HTTP counts (`<kind>.count`): `'ms'` (default: every
   * statsd server, etsy statsd included, aggregates it as a distribution), `'h'` or `'d'`.
   */
  readonly countType?: CountMetricType | undefined;
}

/** The middleware, plus what it sends through. */
export interface StatsdMiddleware extends Middleware {
  /** The client metrics go through (yours, or the one created from client options). */
  readonly client: StatsClient;
  /** The shared request recorder. */
  readonly recorder: RequestRecorder;
  /**
   * Per-route settings, as a middleware on the route: `false` / `{ skip: true }` (not measured),
   * `{ name }` (reported under that key), `{ tags }` (added to the route's metrics). See `routeStats()`.
   */
  route(config: RouteStatsConfig): Middleware;
  /** Send pending counters, then close the client if the middleware created it; otherwise flush it. */
  close(): Promise<void>;
}
