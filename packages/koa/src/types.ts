import type { StatsClient } from '@statskit/client';
import type { AdapterMiddlewareApi, AdapterOptions } from '@statskit/instrument';
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

/** Options of {@link statsdMiddleware}: the options every adapter takes (docs in `AdapterOptions`). */
export interface StatsdMiddlewareOptions extends AdapterOptions<Context, KeyFunction> {
  /** Requests not to measure (health checks): exact paths, `'/prefix/*'`, RegExps, or a predicate. */
  readonly exclude?: ExcludeOption | undefined;
}

/** The middleware, plus what it sends through (`client`, `recorder`, `route()`, `close()`). */
export interface StatsdMiddleware extends Middleware, AdapterMiddlewareApi<Middleware> {}
