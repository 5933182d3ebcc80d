import type { StatsClient } from '@statskit/client';
import type { AdapterOptions, RouteStatsConfig as InstrumentRouteStatsConfig } from '@statskit/instrument';
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

/** Options of the {@link statskit} plugin (the options every adapter takes; docs in `AdapterOptions`). */
export interface StatskitFastifyOptions
  extends Omit<AdapterOptions<FastifyRequest, KeyFunction>, 'prefix' | 'exclude'> {
  /**
   * Prepended to every request metric, after the client's prefix. Default `'http'`; `''` for none.
   * (Fastify's `register()` knows a `prefix` too; this plugin has no routes, so it only names metrics.
   * No `| undefined`, so these options stay assignable to Fastify's register options.)
   */
  readonly prefix?: string;
  /**
   * Requests not to measure (health checks): matched against the path, before routing. A predicate
   * makes the plugin use an onRequest hook (a little slower than the default).
   */
  readonly exclude?: ExcludeOption | undefined;
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
