import type { ServerResponse } from 'node:http';
import { type FinishedRequest, RequestContext } from '@statskit/instrument';
import type { Request } from 'express';
import type { RouteNode } from './route-node.js';

/** Where a request's state hangs on `req` and `res`. */
export const kState = Symbol('statskit.express.state');

/** Called once when the response is done or the client went away. */
export interface Finisher {
  finish(state: RequestState): void;
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
  readonly context = new RequestContext();
  readonly start: number;
  readonly req: Request;
  readonly res: ServerResponse;
  readonly owner: Finisher;
  /** The mounts traversed so far; moves down on entering a mounted router and back on leaving it. */
  node: RouteNode;
  /** The route being dispatched (kept when it fails, cleared when it passes the request on). */
  routeNode: RouteNode | undefined = undefined;
  done = false;

  constructor(owner: Finisher, req: Request, res: ServerResponse, root: RouteNode, start: number) {
    this.owner = owner;
    this.req = req;
    this.res = res;
    this.method = req.method;
    this.node = root;
    this.start = start;
  }

  /** Remember the first real error (not Express's `'route'`/`'router'` signals). */
  fail(err: unknown): void {
    if (this.error === undefined && err && err !== 'route' && err !== 'router') this.error = err;
  }
}

type WithState = { [kState]?: RequestState };

export function stateOf(obj: unknown): RequestState | undefined {
  return (obj as WithState)[kState];
}

export function attachState(obj: object, state: RequestState): void {
  (obj as WithState)[kState] = state;
}

/** `res.on('close')` listener, shared by every request: finds the state on `this`. */
export function onResponseClose(this: ServerResponse): void {
  const state = stateOf(this);
  if (state === undefined || state.done) return;
  state.done = true;
  state.owner.finish(state);
}
