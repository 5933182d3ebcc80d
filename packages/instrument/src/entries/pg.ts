/**
 * `@statskit/instrument/pg`: the node-postgres instrumentation alone (the root entry has it too).
 * @module @statskit/instrument/pg
 */
export { instrumentPg, type PgTarget, uninstrumentPg } from '../db/pg.js';
export type { DbStatsMode, DbStatsOptions, PgStatsOptions } from '../db/types.js';
