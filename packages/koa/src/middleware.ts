import type { StatsClient, Tags } from '@statskit/client';
import {
  countResponseBytes,
  createAdapterRecorder,
  enableRequestContext,
  type FinishedRequest,
  KeyOverride,
  mergeTags,
  RequestContext,
  type RequestRecorder,
  type ResolvedRouteStats,
  type RouteStatsConfig,
  RouteTagsTable,
  regexpTemplate,
  requestBytes,
  requestContextEnabled,
  resolveRouteStats,
  responseBytes,
  runWithRequest,
} from '@statskit/instrument';
import type { Context, Next } from 'koa';
import { type ResolvedMiddlewareOptions, resolveMiddlewareOptions } from './options.js';
import type { StatsdMiddleware, StatsdMiddlewareOptions } from './types.js';

/** The status of a request whose client went away before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/** What @koa/router leaves on `ctx`: the matched layer's path, router prefixes included. */
interface RouterContext {
  _matchedRoute?: string | RegExp | undefined;
  routerPath?: string | RegExp | undefined;
}

function routerTemplate(ctx: Context): string | undefined {
  const c = ctx as Context & RouterContext;
  const path = c._matchedRoute ?? c.routerPath;
  if (typeof path === 'string') return path;
  return path instanceof RegExp ? regexpTemplate(path) : undefined;
}

/** One request being measured; also what the recorder receives. */
class RequestState implements FinishedRequest {
  readonly method: string;
  readonly start: number;
  readonly ctx: Context;
  readonly #measurer: Measurer;
  route: string | undefined = undefined;
  status = 0;
  durationMs = 0;
  error: unknown = undefined;
  context: RequestContext | undefined = undefined;
  /** `sizes: true`: body sizes, read when the request finishes. */
  requestBytes: number | undefined = undefined;
  responseBytes: number | undefined = undefined;
  /** `tagRequest()`: this request's own tags. */
  tags: Tags | undefined = undefined;
  /** `metrics.route(config)` on the route that handled the request. */
  routeStats: ResolvedRouteStats | undefined = undefined;
  done = false;

  constructor(measurer: Measurer, ctx: Context, method: string, start: number) {
    this.#measurer = measurer;
    this.ctx = ctx;
    this.method = method;
    this.start = start;
  }

  /** `res.on('close')`: the response is complete, or the client went away. */
  readonly onClose = (): void => {
    if (this.done) return;
    this.done = true;
    this.#measurer.finish(this);
  };

  /** An error thrown through the middleware: remember it, hand it on unchanged. */
  readonly onError = (err: unknown): never => {
    if (this.error === undefined) this.error = err ?? new Error('statskit: a falsy value was thrown');
    throw err;
  };
}

class Measurer {
  readonly recorder: RequestRecorder;
  readonly options: ResolvedMiddlewareOptions;
  readonly #keyOverride = new KeyOverride();
  readonly routeTags: RouteTagsTable;
  readonly sizes: boolean;

  constructor(
    options: ResolvedMiddlewareOptions,
    recorder: RequestRecorder,
    routeTags: RouteTagsTable,
    sizes: boolean,
  ) {
    this.options = options;
    this.recorder = recorder;
    this.routeTags = routeTags;
    this.sizes = sizes;
  }

  finish(state: RequestState): void {
    const settings = state.routeStats;
    if (settings?.skip === true) return; // `metrics.route(false)` on the route
    const ctx = state.ctx;
    const res = ctx.res;
    state.durationMs = performance.now() - state.start;
    // Koa's own error handler has answered by now (err.status, or 500), so the status is what was sent.
    if (res.writableEnded) state.status = res.statusCode;
    else state.status = CLIENT_CLOSED_REQUEST;
    let route = settings?.template ?? routerTemplate(ctx);
    const key = this.options.key;
    if (key !== undefined) route = this.#keyOverride.apply(route, key, ctx, route);
    state.route = route;
    if (settings?.tags !== undefined && route !== undefined) this.routeTags.set(route, settings.tags);
    if (this.sizes) {
      state.requestBytes = requestBytes(ctx.req);
      state.responseBytes = responseBytes(res);
    }
    this.recorder.record(state);
  }
}

/** The request's state on its `ctx` (for `metrics.route()` and `tagRequest()`). */
const kState = Symbol.for('statskit.koa.state');
type WithState = Context & { [kState]?: RequestState };

/** Prototypes (`app.context`) that already carry `stats`. */
const kStats = Symbol.for('statskit.koa.ctxStats');

/**
 * `ctx.stats` once on the app's context prototype (`app.context`, Koa's documented place to extend
 * `ctx`) instead of a property per request. False when something else owns `stats` there.
 */
function defineCtxStats(ctx: Context, stats: StatsClient): boolean {
  const proto = Object.getPrototypeOf(ctx) as (object & { [kStats]?: StatsClient }) | null;
  if (proto === null) return false;
  if (Object.hasOwn(proto, kStats)) return proto[kStats] === stats;
  if (Object.hasOwn(proto, 'stats')) return false;
  Object.defineProperty(proto, 'stats', {
    value: stats,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(proto, kStats, { value: stats });
  return true;
}

/**
 * Koa middleware that reports every request the way django-statsd does: a timer and status counters
 * per route *template* (from @koa/router, prefixes included) and method, aggregates, errors, and the
 * request's DB/HTTP-client totals. The catalogue is in docs/metrics.md. Works with Koa 2 and 3; use it
 * first, before your routers and error handlers.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import Koa from 'koa';
 * import Router from '@koa/router';
 * import { StatsClient } from '@statskit/client';
 * import { statsdMiddleware } from '@statskit/koa';
 *
 * const app = new Koa();
 * app.use(statsdMiddleware({ client: new StatsClient({ prefix: 'shop' }), exclude: ['/healthz'] }));
 * const router = new Router({ prefix: '/api' });
 * router.get('/users/:id', (ctx) => { ctx.body = { id: ctx.params.id }; });
 * app.use(router.routes());
 * // shop.http.view.api.users._id.GET:1.4|ms, shop.http.view.api.users._id.response.200:1|c, ...
 * ```
 */
export function statsdMiddleware(options: StatsdMiddlewareOptions = {}): StatsdMiddleware {
  const resolved = resolveMiddlewareOptions(options);
  const routeTags = new RouteTagsTable(options.routeTags);
  const recorder = createAdapterRecorder(resolved, options, routeTags.routeTags);
  const sizes = options.sizes === true;
  const measurer = new Measurer(resolved, recorder, routeTags, sizes);
  const { exclude, skipMethods, context, client } = resolved;
  if (context === true) enableRequestContext();
  const stats = client.child({});
  /** The context prototype last seen and whether `ctx.stats` is defined on it. */
  let lastProto: unknown;
  let onProto = false;

  function statskitMiddleware(ctx: Context, next: Next): Promise<unknown> {
    const proto: unknown = Object.getPrototypeOf(ctx);
    if (proto !== lastProto) {
      lastProto = proto;
      onProto = defineCtxStats(ctx, stats);
    }
    if (!onProto) ctx.stats = stats;
    const method = ctx.method;
    if (skipMethods.has(method) || exclude?.(ctx) === true) return next();
    const state = new RequestState(measurer, ctx, method, performance.now());
    (ctx as WithState)[kState] = state;
    ctx.res.once('close', state.onClose);
    if (sizes) countResponseBytes(ctx.res);
    let downstream: Promise<unknown>;
    if (context !== false && requestContextEnabled()) {
      const ctxTotals = new RequestContext();
      state.context = ctxTotals;
      downstream = runWithRequest(ctxTotals, next);
    } else downstream = next();
    return downstream.then(undefined, state.onError);
  }

  // Named like the export, so stack traces and profiles show `statsdMiddleware` (a nested function
  // declaration of that name would be renamed by the bundler: the shadowing is why it is set here).
  Object.defineProperty(statskitMiddleware, 'name', { value: 'statsdMiddleware' });
  return Object.assign(statskitMiddleware, {
    client,
    recorder,
    route: routeStats,
    close: (): Promise<void> => {
      recorder.flush();
      return resolved.ownsClient ? client.close() : client.flush();
    },
  });
}

/**
 * Per-route settings as a middleware to put on the route (Fastify's `config.stats`): `false` or
 * `{ skip: true }` leaves the route unmeasured, `name` reports it under that key, `tags` are added to its
 * metrics. Works with any `statsdMiddleware()` of the app.
 *
 * @throws {InvalidOptionError} when `config` is malformed.
 * @example
 * ```ts
 * router.get('/healthz', metrics.route(false), (ctx) => { ctx.body = 'ok'; });
 * router.get('/users/:id', metrics.route({ name: 'users.show', tags: { team: 'core' } }), show);
 * ```
 */
export function routeStats(config: RouteStatsConfig): (ctx: Context, next: Next) => Promise<unknown> {
  const settings = resolveRouteStats('metrics.route()', config);
  return function statsdRoute(ctx: Context, next: Next): Promise<unknown> {
    const state = (ctx as WithState)[kState];
    if (state !== undefined) state.routeStats = settings;
    return next();
  };
}

/**
 * Tags for this request only, added to each of its request metrics (merged over earlier calls). Every
 * distinct value is a new series in the backend: use few values (a plan, a region), never ids. The tags
 * need a client whose `tagFormat` is not `'none'`. Does nothing for a request the middleware does not
 * measure; never throws.
 *
 * @example
 * ```ts
 * app.use((ctx, next) => { tagRequest(ctx, { plan: ctx.state.user.plan }); return next(); });
 * ```
 */
export function tagRequest(ctx: Context, tags: Tags): void {
  const state = (ctx as WithState | undefined)?.[kState];
  if (state === undefined || typeof tags !== 'object' || tags === null) return;
  state.tags = mergeTags(state.tags, tags);
}
