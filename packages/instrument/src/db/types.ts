import type { StatsClient } from '@statskit/client';

/**
 * `names` (default): system, name and operation are name segments (`db.postgresql.main.query.select`).
 * `tags`: stable names (`db.query`) tagged `db.system`, `db.name`, `operation`; needs a client whose
 * `tagFormat` is not `none`.
 */
export type DbStatsMode = 'names' | 'tags';

/** Options shared by every DB and cache instrumentation. */
export interface DbStatsOptions {
  /** Where metrics go (sent as given: add a prefix with `stats.child({ prefix })`). */
  readonly stats: StatsClient;
  /**
   * The connection's alias in metric names (`main`, `replica`), like Django's database alias. Sanitized
   * to `[A-Za-z0-9_-]`. Default `'default'`.
   */
  readonly name?: string | undefined;
  /** `'names'` (default) or `'tags'`. */
  readonly mode?: DbStatsMode | undefined;
  /** First name segment. Default `'db'` for databases, `'cache'` for caches; `''` for none. */
  readonly prefix?: string | undefined;
  /**
   * Add each query's time to the current request (`currentRequest()?.add('db' | 'cache', ms)`), so
   * request metrics carry per-route counts and time. Default `true`.
   */
  readonly request?: boolean | undefined;
}

/** Options of the mysql2 instrumentation: the alias can depend on the connection. */
export interface Mysql2StatsOptions extends Omit<DbStatsOptions, 'name'> {
  /**
   * The alias in metric names: a string, or a function of the connection (called once per query, keep
   * it cheap and its results few). Default: the connection's database, or `'default'`.
   */
  readonly name?: string | ((connection: Mysql2ConnectionInfo) => string) | undefined;
  /**
   * mysql2 pools (`mysql.createPool()`, or its `.promise()`) to sample as `pool.total`, `pool.idle` and
   * `pool.waiting` gauges, under the alias `name` gives their connection config. mysql2 has no public
   * counters: these are the lengths of its `_allConnections`, `_freeConnections` and
   * `_connectionQueue` lists (mysql2 3.x). Default none.
   */
  readonly pools?: readonly object[] | undefined;
  /**
   * ms between samples of the pool gauges (also at a flush of `stats` when the reading changed).
   * Default 10 000; `0` for none.
   */
  readonly poolInterval?: number | undefined;
}

/** Options of the node-postgres instrumentation. */
export interface PgStatsOptions extends DbStatsOptions {
  /**
   * For a pool: ms between samples of the `pool.total`, `pool.idle` and `pool.waiting` gauges (also
   * at a flush of `stats` when the reading changed). Default 10 000 (statsd's default flush interval:
   * gauges keep the last value, so sampling more often adds nothing); `0` for no pool gauges. The timer
   * is `unref`'d.
   */
  readonly poolInterval?: number | undefined;
}

/** Options of the ioredis instrumentation. */
export interface RedisStatsOptions extends DbStatsOptions {
  /**
   * Also time the commands ioredis sends itself while a connection is set up (`AUTH`, `HELLO`,
   * `SELECT`, `CLIENT SETNAME`/`SETINFO`, `READONLY`, the `INFO` ready check), on every connect and
   * reconnect. Default `false`: they are not the app's commands (and `CLIENT SETINFO` fails on Redis
   * before 7.2, which would count an error per connect).
   */
  readonly connectionCommands?: boolean | undefined;
}

/** What mysql2 tells about the connection a query runs on. */
export interface Mysql2ConnectionInfo {
  /** The database (schema) name. */
  readonly database: string;
  /** The server host. */
  readonly serverAddress: string;
  /** The server port, when known. */
  readonly serverPort: number | undefined;
}

/** A running instrumentation that can be switched off. */
export interface Uninstrument {
  /** Stop recording (idempotent). Objects already wrapped keep calling through to the original. */
  uninstrument(): void;
}
