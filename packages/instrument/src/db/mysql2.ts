import dc from 'node:diagnostics_channel';
import { InvalidOptionError } from '@statskit/client';
import type { RequestContext } from '../context.js';
import { OpStats, type ResolvedDbOptions, resolveDbOptions, segment } from './op-stats.js';
import { PoolGauges, type PoolReading, reading, resolvePoolInterval } from './pool-gauges.js';
import { sqlOperation } from './sql-operation.js';
import type { Mysql2ConnectionInfo, Mysql2StatsOptions, Uninstrument } from './types.js';

/**
 * mysql2 (3.x releases that publish them, e.g. 3.24): its `mysql2:query`, `mysql2:execute` and
 * `mysql2:pool:connect` tracing channels, so nothing is wrapped and every API (callback, promise,
 * pools, pool clusters, streams) is covered. Channels are process-wide: one subscription sees every
 * connection, and `name` can tell them apart. mysql2 only builds channel contexts while someone
 * subscribes, so the cost is nil once uninstrumented.
 */

/** Distinct aliases a `name` function may produce; later ones share `other`. */
const MAX_NAMES = 64;

/** What mysql2 puts in a channel context (documented fields only). */
interface Mysql2TraceContext {
  readonly query?: unknown;
  readonly database?: unknown;
  readonly serverAddress?: unknown;
  readonly serverPort?: unknown;
  readonly error?: unknown;
}

interface Running {
  readonly stats: OpStats;
  readonly op: string;
  readonly t0: number;
  readonly ctx: RequestContext | undefined;
  done: boolean;
}

interface Handlers {
  start(message: unknown): void;
  end(message: unknown): void;
  asyncStart(message: unknown): void;
  asyncEnd(message: unknown): void;
  error(message: unknown): void;
}

/**
 * Time every mysql2 query and prepared-statement execution in the process:
 * - `db.mysql.<name>.query.<operation>` (timer; `operation` the SQL's first keyword; `execute()`
 *   includes its prepare), `...<operation>.errors` (counter);
 * - `db.mysql.<name>.pool.acquire` (timer: `pool.getConnection()`, explicit or inside `pool.query()`);
 * - for the pools given as `pools`, the gauges `db.mysql.<name>.pool.total`, `...pool.idle`,
 *   `...pool.waiting` every `poolInterval` ms (default 10 000) and at each flush of `stats` that finds a changed reading, until
 *   `uninstrument()`, `stats.close()` or `pool.end()`;
 * - each query adds to the current request's `db` totals.
 *
 * Returns a handle whose `uninstrument()` unsubscribes.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { instrumentMysql2 } from '@statskit/instrument';
 * const handle = instrumentMysql2({ stats, name: ({ database }) => database });
 * await pool.promise().query('SELECT 1'); // db.mysql.shop.query.select:0.6|ms
 * ```
 */
export function instrumentMysql2(options: Mysql2StatsOptions): Uninstrument {
  const opts = resolveDbOptions(options, 'db', 'instrumentMysql2');
  if (typeof dc.tracingChannel !== 'function') {
    throw new TypeError('statskit: instrumentMysql2 needs diagnostics_channel.tracingChannel (Node 20+)');
  }
  const poolInterval = resolvePoolInterval(options.poolInterval, 'instrumentMysql2');
  const pools = options.pools;
  if (
    pools !== undefined &&
    (!Array.isArray(pools) || pools.some((p) => typeof p !== 'object' || p === null))
  ) {
    throw new InvalidOptionError('statskit: instrumentMysql2: `pools` must be an array of mysql2 pools');
  }
  const nameOption = options.name;
  const byName = new Map<string, OpStats>();
  const statsFor = (message: Mysql2TraceContext): OpStats => statsOf(opts, byName, nameOption, message);
  const running = new WeakMap<object, Running>();

  const finish = (message: unknown, failed: boolean): void => {
    if (typeof message !== 'object' || message === null) return;
    const r = running.get(message);
    if (r === undefined || r.done) return;
    r.done = true;
    r.stats.record(r.op, performance.now() - r.t0, failed, r.ctx);
  };
  const query: Handlers = {
    start(message) {
      if (typeof message !== 'object' || message === null) return;
      const m = message as Mysql2TraceContext;
      const stats = statsFor(m);
      if (!stats.enabled) return;
      running.set(message, {
        stats,
        op: sqlOperation(m.query),
        t0: performance.now(),
        ctx: stats.request(),
        done: false,
      });
    },
    // A synchronous throw: `error` then `end`, no `asyncStart`.
    end(message) {
      if ((message as Mysql2TraceContext | null)?.error !== undefined) finish(message, true);
    },
    // The callback is about to run (or the event-emitter query settled): the query is over.
    asyncStart(message) {
      finish(message, (message as Mysql2TraceContext | null)?.error !== undefined);
    },
    asyncEnd() {},
    error() {},
  };

  const acquiring = new WeakMap<object, number>();
  const poolConnect: Handlers = {
    start(message) {
      if (typeof message === 'object' && message !== null) acquiring.set(message, performance.now());
    },
    end() {},
    asyncStart(message) {
      if (typeof message !== 'object' || message === null) return;
      const t0 = acquiring.get(message);
      if (t0 === undefined) return;
      acquiring.delete(message);
      if ((message as Mysql2TraceContext).error === undefined) {
        statsFor(message as Mysql2TraceContext).acquire(performance.now() - t0);
      }
    },
    asyncEnd() {},
    error() {},
  };

  const gauges = poolGauges(options.pools, poolInterval, (m) => statsFor(m));

  const channels = [
    [dc.tracingChannel('mysql2:query'), query],
    [dc.tracingChannel('mysql2:execute'), query],
    [dc.tracingChannel('mysql2:pool:connect'), poolConnect],
  ] as const;
  for (const [channel, handlers] of channels) channel.subscribe(handlers);
  let installed = true;
  return {
    uninstrument(): void {
      if (!installed) return;
      installed = false;
      for (const [channel, handlers] of channels) channel.unsubscribe(handlers);
      for (const g of gauges) g.stop();
      for (const s of byName.values()) s.enabled = false;
    },
  };
}

/** The parts of a mysql2 pool the gauges read (mysql2 3.x internals: see `Mysql2StatsOptions.pools`). */
interface Mysql2PoolInternals {
  readonly _allConnections?: { readonly length?: unknown };
  readonly _freeConnections?: { readonly length?: unknown };
  readonly _connectionQueue?: { readonly length?: unknown };
  readonly _closed?: unknown;
  readonly config?: {
    readonly connectionConfig?: {
      readonly database?: unknown;
      readonly host?: unknown;
      readonly port?: unknown;
    };
  };
}

/** The core pool of a mysql2 `Pool` or `PromisePool` (which keeps it as `.pool`). */
function corePool(p: object): Mysql2PoolInternals {
  const inner = (p as { pool?: unknown }).pool;
  return '_allConnections' in p || typeof inner !== 'object' || inner === null
    ? (p as Mysql2PoolInternals)
    : (inner as Mysql2PoolInternals);
}

function readMysql2Pool(pool: Mysql2PoolInternals): PoolReading | undefined {
  if (pool._closed === true) return undefined;
  return reading(pool._allConnections?.length, pool._freeConnections?.length, pool._connectionQueue?.length);
}

/** One sampler per pool, named like the pool's queries (its connection config through `name`). */
function poolGauges(
  pools: readonly object[] | undefined,
  interval: number,
  statsFor: (m: Mysql2TraceContext) => OpStats,
): PoolGauges[] {
  if (pools === undefined || interval === 0) return [];
  return pools.map((p) => {
    const pool = corePool(p);
    const c = pool.config?.connectionConfig;
    const stats = statsFor({ database: c?.database, serverAddress: c?.host, serverPort: c?.port });
    return new PoolGauges(stats, () => readMysql2Pool(pool), interval);
  });
}

function connectionInfo(m: Mysql2TraceContext): Mysql2ConnectionInfo {
  return {
    database: typeof m.database === 'string' ? m.database : '',
    serverAddress: typeof m.serverAddress === 'string' ? m.serverAddress : '',
    serverPort: typeof m.serverPort === 'number' ? m.serverPort : undefined,
  };
}

function statsOf(
  opts: ResolvedDbOptions,
  byName: Map<string, OpStats>,
  nameOption: Mysql2StatsOptions['name'],
  m: Mysql2TraceContext,
): OpStats {
  let alias: string;
  if (typeof nameOption === 'string') alias = opts.name;
  else if (typeof nameOption === 'function') {
    try {
      alias = segment(nameOption(connectionInfo(m)), 'default');
    } catch {
      alias = 'default';
    }
  } else
    alias = typeof m.database === 'string' && m.database !== '' ? segment(m.database, 'default') : 'default';
  let stats = byName.get(alias);
  if (stats === undefined) {
    if (byName.size >= MAX_NAMES) alias = 'other';
    stats = byName.get(alias);
    if (stats === undefined) {
      stats = new OpStats(opts, 'db', 'mysql', alias);
      byName.set(alias, stats);
    }
  }
  return stats;
}
