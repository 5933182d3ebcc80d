/** Internal shapes the wrappers rely on (never exported from the package). */

/** Any function, called through `apply` with the arguments it was given. */
export type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** A node-postgres client as the wrapper sees it. */
export interface PgQueryable {
  query: AnyFunction;
}

/** A node-postgres pool as the wrapper sees it. */
export interface PgPoolLike extends PgQueryable {
  connect: AnyFunction;
  readonly totalCount: number;
  readonly idleCount?: unknown;
  readonly waitingCount?: unknown;
  readonly ended?: unknown;
}

/** The Submittable methods node-postgres calls when a query finishes. */
export interface PgSubmittableLike {
  submit: AnyFunction;
  text?: unknown;
  handleReadyForQuery?: AnyFunction;
  handleError?: AnyFunction;
}

export { isThenable } from '../shared.js';

/** An ioredis `Command` as the wrapper sees it. */
export interface RedisCommandLike {
  readonly name: string;
  resolve: AnyFunction;
  reject: AnyFunction;
}

/** An ioredis `Redis` or `Cluster` as the wrapper sees it. */
export interface RedisLike {
  sendCommand: AnyFunction;
}
