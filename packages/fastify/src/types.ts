import type { ClientOptions, StatsClient, Tags } from '@statskit/client';
import type {
  CountMetricType,
  RouteStatsConfig as InstrumentRouteStatsConfig,
  MetricGroup,
  RecorderMode,
  RouteInfo,
  StatusGrouping,
} from '@statskit/instrument';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** Paths to leave unmeasured: exact paths, `'/prefix/*'`, RegExps, or a predicate. */
export type ExcludeOption = readonly (string | RegExp)[] | ((request: FastifyRequest) => boolean);

/**
 * A custom route key: return a route *template* (encoded like any other, e.g. `/users/:id`) or
 * `undefined` to keep the default. `route` is the template Fastify matched, `undefined` for 404s.
 * Called once per request; the result must come from a small set or it ends up in `__overflow__`.
 */
export type KeyFunction = (
  request: FastifyRequest,
  reply: FastifyReply,
  route: string | undefined,
) => string | undefined;

/**
 * Per-route settings, in the route's `config.stats`: `false` (or `{ skip: true }`) to leave the route
 * unmeasured, or a name and tags for it. The same type as Express's and Koa's `metrics.route()`.
 *
 * @example
 * ```ts
 * fastify.get('/healthz', { config: { stats: false } }, () => 'ok');
 * fastify.get('/users/:id', { config: { stats: { name: 'users.show', tags: { team: 'core' } } } }, h);
 * ```
 */
export type RouteStatsConfig = InstrumentRouteStatsConfig;

/** Options of the {@link statskit} plugin. All optional. */
export interface StatskitFastifyOptions {
  /**
   * A `StatsClient` to send through, or options to create one (default: `new StatsClient()`, i.e.
   * `STATSD_HOST`/`STATSD_PORT` or 127.0.0.1:8125). A client created here is closed when Fastify closes;
   * one you pass is only flushed.
   */
  readonly client?: StatsClient | ClientOptions | undefined;
  /**
   * Prepended to every request metric, after the client's prefix. Default `'http'`; `''` for none.
   * (Fastify's `register()` knows a `prefix` too; this plugin has no routes, so it only names metrics.
   * No `| undefined`, so these options stay assignable to Fastify's register options.)
   */
  readonly prefix?: string;
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
   * `0` sends each count at once. What is pending is sent when Fastify closes.
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

declare module 'fastify' {
  interface FastifyInstance {
    /** The statskit client the plugin sends through (yours, or the one it created). */
    stats: StatsClient;
  }
  interface FastifyRequest {
    /** A child of `fastify.stats` for your own metrics in handlers: `request.stats.incr('signups')`. */
    readonly stats: StatsClient;
  }
  interface FastifyContextConfig {
    /** statskit: `false` to leave this route unmeasured, or `{ name, tags, skip }`. */
    stats?: RouteStatsConfig;
  }
}
