/**
 * `@statskit/instrument/mysql2`: the mysql2 instrumentation alone (the root entry has it too).
 * @module @statskit/instrument/mysql2
 */
export { instrumentMysql2 } from '../db/mysql2.js';
export type {
  DbStatsMode,
  DbStatsOptions,
  Mysql2ConnectionInfo,
  Mysql2StatsOptions,
  Uninstrument,
} from '../db/types.js';
