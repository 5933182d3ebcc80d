/**
 * `@statskit/instrument/knex`: the knex instrumentation alone (the root entry has it too).
 * @module @statskit/instrument/knex
 */
export { instrumentKnex, type KnexTarget } from '../db/knex.js';
export type { DbStatsMode, DbStatsOptions, Uninstrument } from '../db/types.js';
