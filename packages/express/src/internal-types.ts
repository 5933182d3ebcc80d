/**
 * The parts of Express's internals this adapter reads, typed structurally. Never exported.
 *
 * - Express 4 (`express/lib/router`): layers keep `regexp` + `keys` (the path string is not kept) and
 *   dispatch through `handle_request`; after a match `path` and `params` hold the matched values.
 * - Express 5 (`router` 2.x): layers dispatch through `handleRequest`. Router 2.3+ keeps the pattern in
 *   `rawPath`; 2.0–2.2 keep it in `path` until the first match overwrites it with the matched path.
 * - Both: a route layer has `route` (a Route whose `path` is the pattern as registered); a mounted
 *   router is a function with a `stack` of layers.
 */

/** A path as registered: string, RegExp, or (nested) arrays of them. */
export type LayerPath = string | RegExp | readonly LayerPath[];

export type LayerHandler = (this: ExpressLayer, req: unknown, res: unknown, next: NextFn) => unknown;

export type NextFn = (err?: unknown) => void;

export interface ExpressRoute {
  readonly path: LayerPath;
}

/** Express 4's path-to-regexp 0.1 key. */
export interface RegexpKey {
  readonly name: string | number;
}

export interface ExpressLayer {
  handle: unknown;
  route?: ExpressRoute | undefined;
  /** router >= 2.3 */
  rawPath?: LayerPath;
  /** Express 4 */
  regexp?: RegExp & { fast_slash?: boolean; fast_star?: boolean };
  keys?: readonly (RegexpKey | string)[];
  /** router 2.0–2.2: the pattern until the first match; then (and in Express 4) the matched path. */
  path?: unknown;
  params?: Record<string, unknown> | undefined;
  handleRequest?: LayerHandler;
  handle_request?: LayerHandler;
}

export interface ExpressRouter {
  readonly stack: ExpressLayer[];
}

/** What the adapter reads from an Express app. */
export interface ExpressApp {
  /** Express 4 (created lazily by the first `use`/`route`). Express 5 has no such property. */
  readonly _router?: ExpressRouter | undefined;
  /** Express 5 (a lazy getter; throws in Express 4, so read `_router` first). */
  readonly router?: ExpressRouter | undefined;
}
