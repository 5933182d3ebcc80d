import type { StatsClient } from '@statskit/client';
import { AdapterRequest, type RequestOwner, trackedState } from '@statskit/instrument';
import type { RouteNode } from './route-node.js';

/**
 * One request being measured, found from `req` through @statskit/instrument's `trackedState()` (a
 * symbol property on `req`: a WeakMap entry per request cost more in garbage-collector ephemeron work
 * than the property's hidden-class transition).
 */
export class RequestState extends AdapterRequest {
  /** What `req.stats` returns for this request. */
  readonly stats: StatsClient;
  /** The mounts traversed so far; moves down on entering a mounted router and back on leaving it. */
  node: RouteNode;
  /** The route being dispatched (kept when it fails, cleared when it passes the request on). */
  routeNode: RouteNode | undefined = undefined;

  constructor(
    owner: RequestOwner<never>,
    stats: StatsClient,
    method: string,
    root: RouteNode,
    start: number,
  ) {
    super(owner, method, start);
    this.stats = stats;
    this.node = root;
  }

  /** Remember the first real error (not Express's `'route'`/`'router'` signals). */
  override fail(err: unknown): void {
    if (err && err !== 'route' && err !== 'router') super.fail(err);
  }
}

export function stateOf(obj: unknown): RequestState | undefined {
  return trackedState<RequestState>(obj as object);
}
