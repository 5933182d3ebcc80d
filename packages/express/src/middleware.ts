import type { ServerResponse } from 'node:http';
import type { Tags } from '@statskit/client';
import {
  countResponseBytes,
  createAdapterRecorder,
  enableRequestContext,
  KeyOverride,
  mergeTags,
  RequestContext,
  type RequestRecorder,
  type RouteStatsConfig,
  RouteTagsTable,
  requestBytes,
  requestContextEnabled,
  resolveRouteStats,
  responseBytes,
  runWithRequest,
} from '@statskit/instrument';
import type { NextFunction, Request, Response } from 'express';
import type { ExpressRouter } from './internal-types.js';
import { type ResolvedMiddlewareOptions, resolveMiddlewareOptions } from './options.js';
import { defineReqStats } from './req-stats.js';
import { attachState, type Finisher, onResponseClose, RequestState, stateOf } from './request-state.js';
import { RouteNode } from './route-node.js';
import { appRouter, hookRouter, isHookedRoute } from './route-tracker.js';
import type { StatsdMiddleware, StatsdMiddlewareOptions } from './types.js';

/** The status of a request whose client went away before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/** Owns the options, the recorder and the template trie; finishes requests. */
class Measurer implements Finisher {
  readonly recorder: RequestRecorder;
  readonly options: ResolvedMiddlewareOptions;
  readonly root = new RouteNode('');
  /** The app last seen and its router, so each request costs one comparison. */
  app: unknown;
  router: ExpressRouter | undefined;
  /** Whether `req.stats` is an accessor for the app last seen. */
  accessor = false;
  readonly #keyOverride = new KeyOverride();
  readonly routeTags: RouteTagsTable;
  readonly sizes: boolean;

  /** Called for each request: hook the app's routers (cheap when nothing changed). */
  prepare(req: Request): void {
    const app: unknown = req.app;
    if (app !== this.app) {
      this.app = app;
      this.router = appRouter(app);
      this.accessor = defineReqStats(req);
    }
    if (this.router !== undefined) hookRouter(this.router);
  }

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

  finish(state: RequestState, req: Request, res: ServerResponse): void {
    const settings = state.routeStats;
    if (settings?.skip === true) return; // `metrics.route(false)` on the route
    state.durationMs = performance.now() - state.start;
    if (res.writableEnded) state.status = res.statusCode;
    else if (state.error !== undefined) state.status = res.headersSent ? res.statusCode : 500;
    else state.status = CLIENT_CLOSED_REQUEST;
    let node = state.routeNode;
    if (node === undefined && req.route !== undefined && !isHookedRoute(req.route)) {
      // A route this middleware did not hook (the first request into a mounted sub-app). A hooked
      // route left in `req.route` passed the request on: it did not handle it.
      const path = (req.route as { path?: unknown }).path;
      if (typeof path === 'string' || path instanceof RegExp || Array.isArray(path))
        node = state.node.child(path);
    }
    let route = settings?.template ?? node?.template;
    const key = this.options.key;
    if (key !== undefined) route = this.#keyOverride.apply(route, key, req, res as Response, route);
    state.route = route;
    if (settings?.tags !== undefined && route !== undefined) this.routeTags.set(route, settings.tags);
    if (this.sizes) {
      state.requestBytes = requestBytes(req);
      state.responseBytes = responseBytes(res);
    }
    this.recorder.record(state);
    // A sub-app answered with its own router: hook it for the next requests.
    const app: unknown = req.app;
    if (app !== this.app && app !== undefined) {
      const router = appRouter(app);
      if (router !== undefined) hookRouter(router);
    }
  }
}

/**
 * Express middleware that reports every request the way django-statsd does: a timer and status counters
 * per route *template* and method, aggregates, errors, and the request's DB/HTTP-client totals. The
 * catalogue is in docs/metrics.md. Works with Express 4 and 5; register it before your routes.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import express from 'express';
 * import { StatsClient } from '@statskit/client';
 * import { statsdMiddleware } from '@statskit/express';
 *
 * const app = express();
 * app.use(statsdMiddleware({ client: new StatsClient({ prefix: 'shop' }), exclude: ['/healthz'] }));
 * app.get('/users/:id', (req, res) => res.json({ id: req.params.id }));
 * // shop.http.view.users._id.GET:3.2|ms, shop.http.view.users._id.response.200:1|c, ...
 * ```
 */
export function statsdMiddleware(options: StatsdMiddlewareOptions = {}): StatsdMiddleware {
  const resolved = resolveMiddlewareOptions(options);
  const routeTags = new RouteTagsTable(options.routeTags);
  const recorder = createAdapterRecorder(resolved, options, routeTags.routeTags);
  const sizes = options.sizes === true;
  const measurer = new Measurer(resolved, recorder, routeTags, sizes);
  const { exclude, skipMethods, context } = resolved;
  if (context === true) enableRequestContext();
  const stats = resolved.client.child({});
  const root = measurer.root;

  function statskitMiddleware(req: Request, res: Response, next: NextFunction): void {
    measurer.prepare(req);
    if (skipMethods.has(req.method) || exclude?.(req) === true) {
      req.stats = stats;
      next();
      return;
    }
    const state = new RequestState(measurer, stats, req.method, root, performance.now());
    attachState(req, state);
    if (!measurer.accessor) req.stats = stats;
    if ((res as { req?: unknown }).req !== req) {
      state.req = req;
      attachState(res, state);
    }
    res.on('close', onResponseClose);
    if (sizes) countResponseBytes(res);
    if (context !== false && requestContextEnabled()) {
      const ctx = new RequestContext();
      state.context = ctx;
      runWithRequest(ctx, next as () => void);
    } else next();
  }

  // Named like the export, so `app.router.stack`, stack traces and profiles show `statsdMiddleware` (a nested function
  // declaration of that name would be renamed by the bundler: the shadowing is why it is set here).
  Object.defineProperty(statskitMiddleware, 'name', { value: 'statsdMiddleware' });
  return Object.assign(statskitMiddleware, {
    client: resolved.client,
    recorder,
    route: routeStats,
    close: (): Promise<void> => {
      recorder.flush();
      return resolved.ownsClient ? resolved.client.close() : resolved.client.flush();
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
 * app.get('/healthz', metrics.route(false), (req, res) => res.send('ok'));
 * app.get('/users/:id', metrics.route({ name: 'users.show', tags: { team: 'core' } }), show);
 * ```
 */
export function routeStats(
  config: RouteStatsConfig,
): (req: Request, res: Response, next: NextFunction) => void {
  const settings = resolveRouteStats('metrics.route()', config);
  return function statsdRoute(req: Request, _res: Response, next: NextFunction): void {
    const state = stateOf(req);
    if (state !== undefined) state.routeStats = settings;
    next();
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
 * app.use((req, res, next) => { tagRequest(req, { plan: req.user.plan }); next(); });
 * ```
 */
export function tagRequest(req: Request, tags: Tags): void {
  const state = stateOf(req);
  if (state === undefined || typeof tags !== 'object' || tags === null) return;
  state.tags = mergeTags(state.tags, tags);
}
