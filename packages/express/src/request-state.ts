import type { ServerResponse } from 'node:http';
import type { StatsClient, Tags } from '@statskit/client';
import type { FinishedRequest, RequestContext, ResolvedRouteStats } from '@statskit/instrument';
import type { Request } from 'express';
import type { RouteNode } from './route-node.js';

/**
 * Request → state. A WeakMap rather than a property: adding a property to Express's `req` costs more
 * (a hidden-class transition per request on a megamorphic object) and would show in `req`'s keys.
 */
const kStates = Symbol.for('statskit.express.states');
type WithStates = typeof globalThis & { [kStates]?: WeakMap<object, RequestState> };
/** Shared by every copy of this package in the process (ESM and CJS), like the `req.stats` accessor. */
const states: WeakMap<object, RequestState> = (globalThis as WithStates)[kStates] ?? new WeakMap();
(globalThis as WithStates)[kStates] = states;

/** Called once when the response is done or the client went away. */
export interface Finisher {
  finish(state: RequestState, req: Request, res: ServerResponse): void;
}

/**
 * One request being measured. It is also what the recorder receives (`FinishedRequest`), so finishing a
 * request allocates nothing more.
 */
export class RequestState implements FinishedRequest {
  readonly method: string;
  route: string | undefined = undefined;
  status = 0;
  durationMs = 0;
  error: unknown = undefined;
  /** Set when request contexts are on (`enableRequestContext()`). */
  context: RequestContext | undefined = undefined;
  /** `sizes: true`: body sizes, read when the request finishes. */
  requestBytes: number | undefined = undefined;
  responseBytes: number | undefined = undefined;
  /** `tagRequest()`: this request's own tags. */
  tags: Tags | undefined = undefined;
  /** `metrics.route(config)` on the route that handled the request. */
  routeStats: ResolvedRouteStats | undefined = undefined;
  readonly start: number;
  /**
   * Only when `res.req` is not the request (outside Express's app). Otherwise the state holds neither
   * `req` nor `res`: it is the value of a WeakMap keyed by `req`, and a value that reaches its key makes
   * the garbage collector's ephemeron work cost about 6 % of a hello-world's CPU.
   */
  req: Request | undefined = undefined;
  readonly owner: Finisher;
  /** What `req.stats` returns for this request. */
  readonly stats: StatsClient;
  /** The mounts traversed so far; moves down on entering a mounted router and back on leaving it. */
  node: RouteNode;
  /** The route being dispatched (kept when it fails, cleared when it passes the request on). */
  routeNode: RouteNode | undefined = undefined;
  done = false;

  constructor(owner: Finisher, stats: StatsClient, method: string, root: RouteNode, start: number) {
    this.owner = owner;
    this.stats = stats;
    this.method = method;
    this.node = root;
    this.start = start;
  }

  /** Remember the first real error (not Express's `'route'`/`'router'` signals). */
  fail(err: unknown): void {
    if (this.error === undefined && err && err !== 'route' && err !== 'router') this.error = err;
  }
}

export function stateOf(obj: unknown): RequestState | undefined {
  return states.get(obj as object);
}

export function attachState(obj: object, state: RequestState): void {
  states.set(obj, state);
}

/**
 * `res.on('close')` listener, shared by every request: finds the state through `res.req` (set by
 * Express before any middleware runs), or on `res` itself when that is missing.
 */
export function onResponseClose(this: ServerResponse): void {
  const viaRes = (this as unknown as { req?: Request }).req;
  const state = stateOf(viaRes === undefined ? this : viaRes);
  if (state === undefined || state.done) return;
  state.done = true;
  const req = state.req ?? viaRes;
  if (req !== undefined) state.owner.finish(state, req, this);
}
