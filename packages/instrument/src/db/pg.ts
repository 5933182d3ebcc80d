import { AsyncResource } from 'node:async_hooks';
import type { AnyFunction, PgPoolLike, PgQueryable, PgSubmittableLike } from './internal-types.js';
import { isThenable } from './internal-types.js';
import { OpStats, resolveDbOptions } from './op-stats.js';
import { PoolGauges, type PoolReading, reading, resolvePoolInterval } from './pool-gauges.js';
import { sqlOperation } from './sql-operation.js';
import type { PgStatsOptions } from './types.js';

/**
 * node-postgres: `client.query()` is wrapped on the instance (an own property over the prototype's), and
 * for a pool `pool.connect()` too, so every client it hands out (to you or to `pool.query()`) is
 * wrapped once. The wrappers return what pg returns and throw what pg throws; the promise API returns
 * a promise derived with `then`, settling with the same value or the same error object.
 */

const kState = Symbol.for('statskit.instrument.pg');

/** Per instrumented pool or client; the clients of a pool share their pool's state. */
interface State {
  stats: OpStats;
  readonly originals: Map<'query' | 'connect', AnyFunction>;
  /** A pool's gauges while they are sampled. */
  gauges: PoolGauges | undefined;
}

type Marked = { [kState]?: State };

/**
 * What {@link instrumentPg} needs of a node-postgres `pg.Pool` or `pg.Client` (a pooled client is a
 * `Client` too). Typed structurally, so this package's types never need `pg` installed; a real `Pool`
 * or `Client` fits, and `instrumentPg` returns it with its own type.
 */
export interface PgTarget {
  /** pg's `query`, wrapped to count and time each query. */
  query(...args: never[]): unknown;
}

function wrapCallback(cb: AnyFunction, finish: (err: unknown) => void): AnyFunction {
  return function statskitPgCallback(this: unknown, ...args: unknown[]): unknown {
    finish(args[0]);
    return cb.apply(this, args);
  };
}

/**
 * The SQL of a query config or Submittable. pg-query-stream keeps it on the cursor it wraps
 * (`stream.cursor.text`), not on itself.
 */
function queryText(config: object): unknown {
  const text = (config as { text?: unknown }).text;
  if (text !== undefined) return text;
  const cursor = (config as { cursor?: unknown }).cursor;
  return typeof cursor === 'object' && cursor !== null ? (cursor as { text?: unknown }).text : undefined;
}

/** Time a Submittable (a `pg.Query`, a cursor) from submission to its end or its error. */
function watchSubmittable(s: PgSubmittableLike, finish: (err: unknown) => void): void {
  const ready = s.handleReadyForQuery;
  const error = s.handleError;
  if (typeof error === 'function') {
    s.handleError = function statskitHandleError(this: unknown, ...args: unknown[]): unknown {
      finish(args[0] ?? true);
      return error.apply(this, args);
    };
  }
  if (typeof ready === 'function') {
    s.handleReadyForQuery = function statskitHandleReady(this: unknown, ...args: unknown[]): unknown {
      try {
        // A query can fail inside (pg's deferred row errors call handleError): that one counts.
        return ready.apply(this, args);
      } finally {
        finish(undefined);
      }
    };
  }
}

function makeQuery(state: State, original: AnyFunction): AnyFunction {
  return function query(this: unknown, ...args: unknown[]): unknown {
    const stats = state.stats;
    if (!stats.enabled) return original.apply(this, args);
    const config = args[0];
    const isObject = typeof config === 'object' && config !== null;
    const op = sqlOperation(isObject ? queryText(config) : config);
    const ctx = stats.request();
    const t0 = performance.now();
    let done = false;
    const finish = (err: unknown): void => {
      if (done) return;
      done = true;
      stats.record(op, performance.now() - t0, err !== undefined && err !== null, ctx);
    };
    try {
      if (isObject && typeof (config as PgSubmittableLike).submit === 'function') {
        watchSubmittable(config as PgSubmittableLike, finish);
        return original.apply(this, args);
      }
      const values = args[1];
      const callback = args[2];
      if (typeof values === 'function') args[1] = wrapCallback(values as AnyFunction, finish);
      else if (typeof callback === 'function') args[2] = wrapCallback(callback as AnyFunction, finish);
      else if (isObject && typeof (config as { callback?: unknown }).callback === 'function') {
        // pg takes a config's own `callback` too; copy rather than write into the caller's object.
        const cb = (config as { callback: AnyFunction }).callback;
        args[0] = { ...(config as object), callback: wrapCallback(cb, finish) };
      } else {
        const result = original.apply(this, args);
        if (!isThenable(result)) {
          finish(undefined);
          return result;
        }
        return result.then(
          (value) => {
            finish(undefined);
            return value;
          },
          (err: unknown) => {
            finish(err ?? true);
            throw err;
          },
        );
      }
      return original.apply(this, args);
    } catch (err) {
      finish(err ?? true);
      throw err;
    }
  };
}

function wrapClient(client: PgQueryable & Marked, state: State): void {
  if (client[kState] !== undefined) return;
  client[kState] = state;
  client.query = makeQuery(state, client.query);
}

function makeConnect(state: State, original: AnyFunction): AnyFunction {
  return function connect(this: unknown, ...args: unknown[]): unknown {
    const stats = state.stats;
    if (!stats.enabled) return original.apply(this, args);
    const t0 = performance.now();
    const cb = args[0];
    if (typeof cb === 'function') {
      // A queued request gets its client when another one is released, in *that* caller's async
      // context: run the callback in ours, so its queries are attributed to the right request.
      const scope = stats.request() === undefined ? undefined : new AsyncResource('statskit.pg.connect');
      args[0] = function statskitConnected(this: unknown, ...cbArgs: unknown[]): unknown {
        const client = cbArgs[1];
        if (cbArgs[0] == null && typeof client === 'object' && client !== null) {
          stats.acquire(performance.now() - t0);
          wrapClient(client as PgQueryable & Marked, state);
        }
        if (scope === undefined) return (cb as AnyFunction).apply(this, cbArgs);
        return scope.runInAsyncScope(cb as AnyFunction, this, ...cbArgs);
      };
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    if (!isThenable(result)) return result;
    return result.then((client) => {
      if (typeof client === 'object' && client !== null) {
        stats.acquire(performance.now() - t0);
        wrapClient(client as PgQueryable & Marked, state);
      }
      return client;
    });
  };
}

/**
 * Time every query of a node-postgres `Pool` or `Client`:
 * - `db.postgresql.<name>.query.<operation>` (timer; `operation` is the statement's first keyword:
 *   `select`, `insert`, `begin`, ... or `other`), `...<operation>.errors` (counter);
 * - for a pool, `db.postgresql.<name>.pool.acquire` (timer: waiting for a client), and the gauges
 *   `...pool.total`, `...pool.idle`, `...pool.waiting` (pg-pool's `totalCount`, `idleCount`,
 *   `waitingCount`) every `poolInterval` ms (default 10 000, `0` for none) and at each flush of `stats` that finds a changed reading,
 *   until {@link uninstrumentPg}, `stats.close()` or `pool.end()`;
 * - each query adds to the current request's `db` totals.
 *
 * Callbacks, promises and Submittables (`pg.Query`, cursors: timed until they end) all work; results
 * and errors are pg's own. Instruments the instance in place and returns it. Calling it again on the
 * same instance replaces the options.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import pg from 'pg';
 * import { instrumentPg } from '@statskit/instrument';
 * const pool = instrumentPg(new pg.Pool(), { stats, name: 'main' });
 * await pool.query('SELECT 1'); // db.postgresql.main.query.select:0.4|ms
 * ```
 */
export function instrumentPg<T extends PgTarget>(target: T, options: PgStatsOptions): T {
  const opts = resolveDbOptions(options, 'db', 'instrumentPg');
  const t = target as unknown as PgQueryable & Marked;
  if (typeof t !== 'object' || t === null || typeof t.query !== 'function') {
    throw new TypeError('statskit: instrumentPg expects a pg.Pool or pg.Client');
  }
  const poolInterval = resolvePoolInterval(options.poolInterval, 'instrumentPg');
  const stats = new OpStats(opts, 'db', 'postgresql');
  const gauges =
    isPool(t) && poolInterval > 0 ? new PoolGauges(stats, () => readPool(t), poolInterval) : undefined;
  const existing = t[kState];
  if (existing !== undefined) {
    existing.stats.enabled = false;
    existing.stats = stats;
    existing.gauges?.stop();
    existing.gauges = gauges;
    if (existing.originals.size > 0) return target;
  }
  const state: State = existing ?? { stats, originals: new Map(), gauges };
  t[kState] = state;
  if (isPool(t)) {
    // pool.query() checks a client out with this.connect(): its queries are timed on the client.
    state.originals.set('connect', t.connect);
    t.connect = makeConnect(state, t.connect);
  } else {
    state.originals.set('query', t.query);
    t.query = makeQuery(state, t.query);
  }
  return target;
}

/**
 * Undo {@link instrumentPg}: the instance gets its original methods back; clients a pool already handed
 * out keep a wrapper that only calls through.
 */
export function uninstrumentPg(target: PgTarget): void {
  const t = target as unknown as PgQueryable & Marked;
  const state = t?.[kState];
  if (state === undefined) return;
  state.stats.enabled = false;
  state.gauges?.stop();
  state.gauges = undefined;
  for (const [key, original] of state.originals) (t as unknown as Record<string, unknown>)[key] = original;
  state.originals.clear();
}

/** pg-pool's public counters; undefined once the pool has ended (sampling stops). */
function readPool(pool: PgPoolLike): PoolReading | undefined {
  if (pool.ended === true) return undefined;
  return reading(pool.totalCount, pool.idleCount, pool.waitingCount);
}

function isPool(t: PgQueryable): t is PgPoolLike {
  return typeof (t as Partial<PgPoolLike>).connect === 'function' && 'totalCount' in t;
}
