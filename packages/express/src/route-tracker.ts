import { currentRequest, runWithRequest } from '@statskit/instrument';
import type {
  ExpressApp,
  ExpressLayer,
  ExpressRoute,
  ExpressRouter,
  LayerHandler,
  LayerPath,
  NextFn,
} from './internal-types.js';
import { layerPattern, matchedPattern } from './layer-pattern.js';
import { stateOf } from './request-state.js';
import { pieceText, type RouteNode } from './route-node.js';

/**
 * Finding the route template. Express gives the matched route's own pattern (`req.route.path`) but only
 * the *substituted* mount path (`req.baseUrl` is `/api/7`, not `/api/:version`), and when an error
 * travels back up, `req.baseUrl` is already restored. So the layers of the app's router tree are hooked
 * once, in place: a mount layer moves the request's template pointer into its pattern while the mounted
 * router runs and back when it passes the request on; a route layer records where the request was
 * dispatched. Layers are hooked when a router is first entered and again when its stack grew, so routes
 * added later are covered. Nothing is patched globally and no layer handle is replaced (`layer.handle`,
 * `listRoutes()` and other introspection see the app unchanged): the hook is an own `handleRequest`
 * (Express 5) / `handle_request` (Express 4) that calls the prototype's method.
 */

// Registered symbols: the ESM and CJS builds loaded together must not hook a layer twice.
const kHooked = Symbol.for('statskit.express.hooked');
/** On Route objects whose layer is hooked: their dispatch is tracked, `req.route` need not be read. */
const kHookedRoute = Symbol.for('statskit.express.hookedRoute');

/** Is `route` (from `req.route`) dispatched through a hooked layer? */
export function isHookedRoute(route: unknown): boolean {
  return (
    typeof route === 'object' && route !== null && (route as { [kHookedRoute]?: true })[kHookedRoute] === true
  );
}
const kScanned = Symbol.for('statskit.express.scanned');

type Marked<T> = T & { [kHooked]?: true; [kScanned]?: number };

function isRouter(v: unknown): v is ExpressRouter {
  return typeof v === 'function' && Array.isArray((v as { stack?: unknown }).stack);
}

/** The app's root router without creating one (Express 4: `_router`; Express 5: `router`). */
export function appRouter(app: unknown): ExpressRouter | undefined {
  if (typeof app !== 'function' && (typeof app !== 'object' || app === null)) return undefined;
  const a = app as ExpressApp;
  const v4 = a._router;
  if (v4 !== undefined) return isRouter(v4) ? v4 : undefined;
  try {
    const v5 = a.router;
    return isRouter(v5) ? v5 : undefined;
  } catch {
    return undefined; // Express 4 before its first route: `app.router` throws
  }
}

/**
 * The routes registered in `router` before the layer whose handle is `fn` (a middleware added after
 * them never sees their requests), as `GET /path`; routers mounted before it count with their routes.
 * Empty when `fn` is not in `router` or comes first.
 */
export function routesBefore(router: ExpressRouter, fn: unknown): string[] {
  const stack = router.stack;
  const at = stack.findIndex((layer) => layer.handle === fn);
  if (at <= 0) return [];
  const out: string[] = [];
  const collect = (layers: readonly ExpressLayer[], depth: number): void => {
    for (const layer of layers) {
      const route = layer.route as (ExpressRoute & { methods?: Record<string, unknown> }) | undefined;
      if (route !== undefined && route !== null) {
        const methods = Object.keys(route.methods ?? {}).map((m) => m.toUpperCase());
        out.push(`${methods.join(',') || 'ALL'} ${String(route.path)}`);
      } else if (depth < 8 && isRouter(layer.handle)) collect(layer.handle.stack, depth + 1);
    }
  };
  collect(stack.slice(0, at), 0);
  return out;
}

/** Hook the layers of `router` (and of routers mounted in it) that are not hooked yet. Cheap when nothing changed. */
export function hookRouter(router: ExpressRouter): void {
  const r = router as Marked<ExpressRouter>;
  const stack = r.stack;
  if (r[kScanned] === stack.length) return;
  r[kScanned] = stack.length; // before recursing: a router mounted inside itself stops here
  for (const layer of stack) hookLayer(layer);
}

function dispatchMethod(layer: ExpressLayer): 'handleRequest' | 'handle_request' | undefined {
  if (typeof layer.handleRequest === 'function') return 'handleRequest';
  if (typeof layer.handle_request === 'function') return 'handle_request';
  return undefined;
}

function hookLayer(layer: ExpressLayer): void {
  const l = layer as Marked<ExpressLayer>;
  if (l[kHooked] === true) return;
  l[kHooked] = true;
  const method = dispatchMethod(layer);
  if (method === undefined) return;
  const original = layer[method] as LayerHandler;
  const route = layer.route;
  if (route !== undefined && route !== null) {
    (route as { [kHookedRoute]?: true })[kHookedRoute] = true;
    layer[method] = routeHook(original, route.path);
    return;
  }
  const handle = layer.handle;
  if (typeof handle !== 'function' || handle.length > 3) return; // error handlers are never dispatched here
  const router = isRouter(handle) ? handle : undefined;
  // Read the pattern now: with router 2.0–2.2 it is only there until the layer first matches.
  const pattern = layerPattern(layer);
  if (router !== undefined) hookRouter(router);
  const piece = pattern === undefined ? undefined : pieceText(pattern);
  if (piece === '') {
    // Mounted at `/`: the template does not change; only keep nested routers hooked.
    if (router !== undefined) layer[method] = rootMountHook(original, router);
    return;
  }
  layer[method] = mountHook(original, pattern, router);
}

function rootMountHook(original: LayerHandler, router: ExpressRouter): LayerHandler {
  return function statskitRootMount(this: ExpressLayer, req, res, next) {
    hookRouter(router);
    return original.call(this, req, res, next);
  };
}

function mountHook(
  original: LayerHandler,
  pattern: LayerPath | undefined,
  router: ExpressRouter | undefined,
): LayerHandler {
  // The node this mount led to from the parent it was last entered from: a router mounted once (nearly
  // all) is entered from one parent, so its template is found once, not per request.
  let lastParent: RouteNode | undefined;
  let lastNode: RouteNode | undefined;
  return function statskitMount(this: ExpressLayer, req, res, next) {
    if (router !== undefined) hookRouter(router);
    const state = stateOf(req);
    if (state === undefined) return original.call(this, req, res, next);
    const parent = state.node;
    if (pattern === undefined) state.node = parent.child(matchedPattern(this));
    else if (parent === lastParent && lastNode !== undefined) state.node = lastNode;
    else {
      lastNode = parent.child(pattern);
      lastParent = parent;
      state.node = lastNode;
    }
    return original.call(this, req, res, function statskitMountExit(err?: unknown) {
      state.node = parent;
      if (err) state.fail(err);
      next(err);
    } satisfies NextFn);
  };
}

function dispatch(
  original: LayerHandler,
  layer: ExpressLayer,
  req: unknown,
  res: unknown,
  next: NextFn,
): unknown {
  return original.call(layer, req, res, next);
}

function routeHook(original: LayerHandler, path: LayerPath): LayerHandler {
  // The route's template node for the mount node it was last reached through (see mountHook).
  let lastParent: RouteNode | undefined;
  let lastNode: RouteNode | undefined;
  return function statskitRoute(this: ExpressLayer, req, res, next) {
    const state = stateOf(req);
    if (state === undefined) return original.call(this, req, res, next);
    const previous = state.routeNode;
    const parent = state.node;
    if (parent !== lastParent || lastNode === undefined) {
      lastNode = parent.child(path);
      lastParent = parent;
    }
    state.routeNode = lastNode;
    const exit: NextFn = function statskitRouteExit(err?: unknown) {
      // Passed on without an error: this route did not handle the request after all.
      if (!err || err === 'route' || err === 'router') state.routeNode = previous;
      else state.fail(err);
      next(err);
    };
    // A middleware that called next() from a pooled connection's callback (a session store, say) may
    // have lost the request's context: the route's handlers get it back.
    const ctx = state.context;
    if (ctx !== undefined && currentRequest() !== ctx)
      return runWithRequest(ctx, dispatch, original, this, req, res, exit);
    return original.call(this, req, res, exit);
  };
}
