import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tags } from '@statskit/client';
import {
  RequestAdapter,
  type RequestOwner,
  type RouteStatsConfig,
  requestStart,
  resolveRouteStats,
  tagState,
} from '@statskit/instrument';
import type { NextFunction, Request, Response } from 'express';
import type { ExpressRouter } from './internal-types.js';
import { defineReqStats } from './req-stats.js';
import { RequestState, stateOf } from './request-state.js';
import { RouteNode } from './route-node.js';
import { appRouter, hookRouter, isHookedRoute, routesBefore } from './route-tracker.js';
import type { KeyFunction, StatsdMiddleware, StatsdMiddlewareOptions } from './types.js';

/** The path Express was asked for, without the query string (mount points do not strip it here). */
function pathOf(req: Request): string {
  const url = req.originalUrl ?? req.url ?? '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const NO_ARGS: [] = [];

/** Owns the adapter and the template trie; finishes requests. */
class Measurer implements RequestOwner<RequestState> {
  readonly adapter: RequestAdapter<Request, KeyFunction>;
  readonly root = new RouteNode('');
  /** The app last seen and its router, so each request costs one comparison. */
  app: unknown;
  router: ExpressRouter | undefined;
  /** Whether `req.stats` is an accessor for the app last seen. */
  accessor = false;

  constructor(options: StatsdMiddlewareOptions) {
    this.adapter = new RequestAdapter(options, { what: 'statsdMiddleware', pathOf });
    // Requests are timed from node:http's start channel, which also gives them their state slot while
    // they still have node:http's shape (see useStartChannel).
    this.adapter.useStartChannel();
  }

  /** The middleware function itself, to find it in the app's stack. */
  fn: unknown;
  #warnedLate = false;

  /** Called for each request: hook the app's routers (cheap when nothing changed). */
  prepare(req: Request): void {
    const app: unknown = req.app;
    if (app !== this.app) {
      this.app = app;
      this.router = appRouter(app);
      this.accessor = defineReqStats(req);
      if (this.router !== undefined && !this.#warnedLate) this.#checkOrder(this.router);
    }
    if (this.router !== undefined) hookRouter(this.router);
  }

  /** Routes added before the middleware never reach it: say so once (a `StatsKitWarning`). */
  #checkOrder(router: ExpressRouter): void {
    const early = routesBefore(router, this.fn);
    if (early.length === 0) return;
    this.#warnedLate = true;
    const shown = early.slice(0, 3).join(', ') + (early.length > 3 ? `, and ${early.length - 3} more` : '');
    process.emitWarning(
      `statskit: statsdMiddleware() was added after ${early.length} route(s) (${shown}): requests they ` +
        'answer never reach it and send no metrics. app.use() it before the routes.',
      { type: 'StatsKitWarning', code: 'STATSKIT_REGISTERED_AFTER_ROUTES' },
    );
  }

  finished(state: RequestState, raw: IncomingMessage, res: ServerResponse): void {
    const req = raw as Request;
    let node = state.routeNode;
    if (node === undefined && req.route !== undefined && !isHookedRoute(req.route)) {
      // A route this middleware did not hook (the first request into a mounted sub-app). A hooked
      // route left in `req.route` passed the request on: it did not handle it.
      const path = (req.route as { path?: unknown }).path;
      if (typeof path === 'string' || path instanceof RegExp || Array.isArray(path))
        node = state.node.child(path);
    }
    this.adapter.record(
      state,
      node?.template,
      req,
      res,
      this.adapter.key === undefined ? NO_ARGS : [req, res],
    );
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
  const measurer = new Measurer(options);
  const { adapter, root } = measurer;
  const stats = adapter.stats;

  function statskitMiddleware(req: Request, res: Response, next: NextFunction): void {
    measurer.prepare(req);
    const method = req.method;
    if (adapter.skips(method, req)) {
      req.stats = stats;
      next();
      return;
    }
    const state = new RequestState(measurer, stats, method, root, requestStart(req) ?? performance.now());
    if (!adapter.track(state, req, res)) {
      next(); // measured by the app's first statskit middleware
      return;
    }
    if (!measurer.accessor) req.stats = stats;
    if (adapter.wantsContext()) adapter.run(state, next as () => void, undefined, NO_ARGS);
    else next();
  }

  measurer.fn = statskitMiddleware;
  return adapter.middleware(statskitMiddleware, routeStats);
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
  tagState(stateOf(req), tags);
}
