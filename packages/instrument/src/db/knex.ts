import type { RequestContext } from '../context.js';
import { OpStats, resolveDbOptions } from './op-stats.js';
import { sqlOperation } from './sql-operation.js';
import type { DbStatsOptions, Uninstrument } from './types.js';

/**
 * knex: its own events, nothing wrapped. `query` starts a timer (after the connection was acquired),
 * `query-response` / `query-error` stop it; they are matched by `__knexQueryUid` (or, for statements
 * without one such as schema builders', by connection and SQL: a connection runs one at a time).
 * Queries in transactions reach the same events. Streams may end without `query-response`, so
 * unmatched starts are bounded.
 */

/** In-flight queries remembered; past it the oldest is forgotten (a stream that never reported). */
const MAX_PENDING = 10_000;

/** knex `client` names → `db.system` segments. */
const SYSTEMS: Readonly<Record<string, string>> = {
  pg: 'postgresql',
  postgres: 'postgresql',
  postgresql: 'postgresql',
  pgnative: 'postgresql',
  cockroachdb: 'cockroachdb',
  redshift: 'redshift',
  mysql: 'mysql',
  mysql2: 'mysql',
  sqlite3: 'sqlite',
  'better-sqlite3': 'sqlite',
  sqlite: 'sqlite',
  mssql: 'mssql',
  oracledb: 'oracle',
  oracle: 'oracle',
};

interface QueryEvent {
  readonly __knexQueryUid?: unknown;
  readonly __knexUid?: unknown;
  readonly sql?: unknown;
}

interface Pending {
  readonly op: string;
  readonly t0: number;
  readonly ctx: RequestContext | undefined;
}

function keyOf(obj: QueryEvent | undefined): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const uid = obj.__knexQueryUid;
  if (typeof uid === 'string') return uid;
  return `${String(obj.__knexUid)}\u0000${String(obj.sql)}`;
}

/**
 * What {@link instrumentKnex} needs of a knex instance (its events). Typed structurally, so this
 * package's types never need `knex` installed; a real `Knex` instance fits.
 */
export interface KnexTarget {
  /** Adds a listener (knex's `query`, `query-response`, `query-error` events). */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Removes a listener added with `on`. */
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

function systemOf(knex: KnexTarget): string {
  const client = (knex as { client?: { dialect?: unknown; config?: { client?: unknown } } }).client;
  const configured = client?.config?.client;
  const name =
    typeof configured === 'string' ? configured : typeof client?.dialect === 'string' ? client.dialect : '';
  return SYSTEMS[name] ?? (name === '' ? 'other' : name);
}

/**
 * Time every query a knex instance runs (transactions included), from its events:
 * - `db.<system>.<name>.query.<operation>` (timer; `system` from the knex client: `postgresql`,
 *   `mysql`, `sqlite`, ...; `operation` the SQL's first keyword), `...<operation>.errors` (counter);
 * - each query adds to the current request's `db` totals.
 *
 * Instrumenting knex *and* the driver under it (e.g. {@link instrumentPg} on the same pool) counts each
 * query twice: pick one.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import knex from 'knex';
 * import { instrumentKnex } from '@statskit/instrument';
 * const db = knex({ client: 'pg', connection: process.env.DATABASE_URL });
 * const handle = instrumentKnex(db, { stats, name: 'main' });
 * await db('users').where({ id: 1 }); // db.postgresql.main.query.select:1.2|ms
 * handle.uninstrument();
 * ```
 */
export function instrumentKnex(knex: KnexTarget, options: DbStatsOptions): Uninstrument {
  const opts = resolveDbOptions(options, 'db', 'instrumentKnex');
  if (typeof (knex as unknown) !== 'function' || typeof (knex as { on?: unknown }).on !== 'function') {
    throw new TypeError('statskit: instrumentKnex expects a knex instance');
  }
  const stats = new OpStats(opts, 'db', systemOf(knex));
  const pending = new Map<string, Pending>();

  const onQuery = (raw: unknown): void => {
    const obj = raw as QueryEvent;
    const key = keyOf(obj);
    if (key === undefined || !stats.enabled) return;
    if (pending.size >= MAX_PENDING) {
      const oldest = pending.keys().next();
      if (oldest.done !== true) pending.delete(oldest.value);
    }
    pending.set(key, { op: sqlOperation(obj.sql), t0: performance.now(), ctx: stats.request() });
  };
  const finish = (obj: QueryEvent | undefined, failed: boolean): void => {
    const key = keyOf(obj);
    if (key === undefined) return;
    const p = pending.get(key);
    if (p === undefined) return;
    pending.delete(key);
    stats.record(p.op, performance.now() - p.t0, failed, p.ctx);
  };
  const onResponse = (_response: unknown, obj: unknown): void => finish(obj as QueryEvent, false);
  const onError = (_error: unknown, obj: unknown): void => finish(obj as QueryEvent, true);

  knex.on('query', onQuery);
  knex.on('query-response', onResponse);
  knex.on('query-error', onError);
  let installed = true;
  return {
    uninstrument(): void {
      if (!installed) return;
      installed = false;
      stats.enabled = false;
      pending.clear();
      knex.off('query', onQuery);
      knex.off('query-response', onResponse);
      knex.off('query-error', onError);
    },
  };
}
