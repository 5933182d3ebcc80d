import { InvalidOptionError } from '@statskit/client';
import type { AnyFunction, RedisCommandLike, RedisLike } from './internal-types.js';
import { OpStats, resolveDbOptions } from './op-stats.js';
import type { RedisStatsOptions } from './types.js';

/**
 * ioredis: every command goes through the instance's `sendCommand(command)` (pipelines and
 * transactions too, one command at a time), so that is wrapped on the instance. The command's own
 * `resolve`/`reject` are wrapped to see the reply: no extra promise, the caller's promise or callback
 * is ioredis's own. A command sent twice (offline queue, reconnect) is timed once, from the first send.
 */

const kState = Symbol.for('statskit.instrument.ioredis');
const kSeen = Symbol('statskit.ioredis.seen');

/**
 * Reads that count hits and misses like a cache: a `null` reply (or `null` element, for the multi-key
 * ones) is a miss, anything else a hit.
 */
export const REDIS_READ_COMMANDS: ReadonlySet<string> = new Set([
  'get',
  'getex',
  'getdel',
  'hget',
  'mget',
  'hmget',
  'json.get',
]);

/**
 * The commands ioredis sends itself while setting up a connection (its `HANDSHAKE_COMMANDS`, plus the
 * `INFO` ready check), recognised by name *and* the instance's `connect` status: the app's own
 * commands wait in the offline queue until `ready`, and an app's `INFO` after that is timed.
 */
const CONNECTION_COMMANDS: ReadonlySet<string> = new Set([
  'auth',
  'hello',
  'select',
  'client',
  'readonly',
  'info',
]);

interface State {
  stats: OpStats;
  original: AnyFunction | undefined;
  connectionCommands: boolean;
}

/** Is `command` part of the connection set-up of `instance` (see CONNECTION_COMMANDS)? */
function isConnectionCommand(instance: unknown, command: Seen): boolean {
  if ((instance as { status?: unknown } | null)?.status !== 'connect') return false;
  const name = command.name;
  return typeof name === 'string' && CONNECTION_COMMANDS.has(name.toLowerCase());
}

type Marked = RedisLike & { [kState]?: State };
type Seen = RedisCommandLike & { [kSeen]?: true };

/**
 * What {@link instrumentRedis} needs of an ioredis `Redis` or `Cluster`. Typed structurally, so this
 * package's types never need `ioredis` installed; a real `Redis` or `Cluster` fits, and
 * `instrumentRedis` returns it with its own type.
 */
export interface RedisTarget {
  /** ioredis' command entry point, wrapped to count and time each command. */
  sendCommand(...args: never[]): unknown;
}

function countReply(stats: OpStats, name: string, reply: unknown): void {
  if (Array.isArray(reply)) {
    let misses = 0;
    for (let i = 0; i < reply.length; i++) if (reply[i] === null) misses++;
    stats.hitMiss(name, reply.length - misses, misses);
  } else if (reply === null || reply === undefined) stats.hitMiss(name, 0, 1);
  else stats.hitMiss(name, 1, 0);
}

function watch(state: State, command: Seen): void {
  const stats = state.stats;
  const name = typeof command.name === 'string' ? command.name.toLowerCase() : 'other';
  const resolve = command.resolve;
  const reject = command.reject;
  if (typeof resolve !== 'function' || typeof reject !== 'function') return;
  command[kSeen] = true;
  const ctx = stats.request();
  const t0 = performance.now();
  let done = false;
  command.resolve = function statskitResolve(this: unknown, ...args: unknown[]): unknown {
    if (!done) {
      done = true;
      stats.record(name, performance.now() - t0, false, ctx);
      if (REDIS_READ_COMMANDS.has(name)) countReply(stats, name, args[0]);
    }
    return resolve.apply(this, args);
  };
  command.reject = function statskitReject(this: unknown, ...args: unknown[]): unknown {
    if (!done) {
      done = true;
      stats.record(name, performance.now() - t0, true, ctx);
    }
    return reject.apply(this, args);
  };
}

/**
 * Time every command of an ioredis client (or cluster):
 * - `cache.redis.<name>.<command>` (timer), `...<command>.errors` (counter);
 * - for reads (`get`, `mget`, `hget`, ... see {@link REDIS_READ_COMMANDS}) `...<command>.hit` and
 *   `...<command>.miss` (counters; `mget` counts each key);
 * - each command adds to the current request's `cache` totals.
 *
 * The commands ioredis sends itself while connecting (`AUTH`, `HELLO`, `SELECT`, `CLIENT SETNAME` /
 * `SETINFO`, `READONLY`, the `INFO` ready check) are left out unless `connectionCommands: true`.
 *
 * Instruments the instance in place (not its `duplicate()`s) and returns it; calling it again replaces
 * the options.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import Redis from 'ioredis';
 * import { instrumentRedis } from '@statskit/instrument';
 * const redis = instrumentRedis(new Redis(), { stats, name: 'sessions' });
 * await redis.get('k'); // cache.redis.sessions.get:0.2|ms, cache.redis.sessions.get.miss:1|c
 * ```
 */
export function instrumentRedis<T extends RedisTarget>(target: T, options: RedisStatsOptions): T {
  const opts = resolveDbOptions(options, 'cache', 'instrumentRedis');
  const connectionCommands = options.connectionCommands ?? false;
  if (typeof connectionCommands !== 'boolean') {
    throw new InvalidOptionError('statskit: instrumentRedis: `connectionCommands` must be a boolean');
  }
  const t = target as unknown as Marked;
  if (typeof t !== 'object' || t === null || typeof t.sendCommand !== 'function') {
    throw new TypeError('statskit: instrumentRedis expects an ioredis Redis or Cluster');
  }
  const stats = new OpStats(opts, 'cache', 'redis');
  const existing = t[kState];
  if (existing !== undefined) {
    existing.stats.enabled = false;
    existing.stats = stats;
    existing.connectionCommands = connectionCommands;
    if (existing.original !== undefined) return target;
  }
  const state: State = existing ?? { stats, original: undefined, connectionCommands };
  t[kState] = state;
  const original = t.sendCommand;
  state.original = original;
  t.sendCommand = function sendCommand(this: unknown, ...args: unknown[]): unknown {
    const command = args[0] as Seen | undefined;
    if (state.stats.enabled && typeof command === 'object' && command !== null && command[kSeen] !== true) {
      if (state.connectionCommands || !isConnectionCommand(this, command)) watch(state, command);
      else command[kSeen] = true;
    }
    return original.apply(this, args);
  };
  return target;
}

/** Undo {@link instrumentRedis}: the instance gets its original `sendCommand` back. */
export function uninstrumentRedis(target: RedisTarget): void {
  const t = target as unknown as Marked;
  const state = t?.[kState];
  if (state === undefined || state.original === undefined) return;
  state.stats.enabled = false;
  t.sendCommand = state.original;
  state.original = undefined;
}
