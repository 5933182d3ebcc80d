import type { ServerResponse } from 'node:http';
import {
  createAdapterRecorder,
  enableRequestContext,
  KeyOverride,
  RequestContext,
  type RequestRecorder,
  requestContextEnabled,
  runWithRequest,
} from '@statskit/instrument';
import type { NextFunction, Request, Response } from 'express';
import type { ExpressRouter } from './internal-types.js';
import { type ResolvedMiddlewareOptions, resolveMiddlewareOptions } from './options.js';
import { defineReqStats } from './req-stats.js';
import { attachState, type Finisher, onResponseClose, RequestState } from './request-state.js';
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

  constructor(options: ResolvedMiddlewareOptions, recorder: RequestRecorder) {
    this.options = options;
    this.recorder = recorder;
  }

  finish(state: RequestState, req: Request, res: ServerResponse): void {
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
    let route = node?.template;
    const key = this.options.key;
    if (key !== undefined) route = this.#keyOverride.apply(route, key, req, res as Response, route);
    state.route = route;
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
  const recorder = createAdapterRecorder(resolved, options);
  const measurer = new Measurer(resolved, recorder);
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
    close: (): Promise<void> => {
      recorder.flush();
      return resolved.ownsClient ? resolved.client.close() : resolved.client.flush();
    },
  });
}
