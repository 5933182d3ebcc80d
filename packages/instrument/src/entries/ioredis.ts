/**
 * `@statskit/instrument/ioredis`: the ioredis instrumentation alone (the root entry has it too).
 * @module @statskit/instrument/ioredis
 */
export { instrumentRedis, REDIS_READ_COMMANDS, type RedisTarget, uninstrumentRedis } from '../db/ioredis.js';
export type { DbStatsMode, DbStatsOptions, RedisStatsOptions } from '../db/types.js';
