import type { StatsClient } from '@statskit/client';
import { stateOf } from './request-state.js';

/**
 * `req.stats` without a per-request property store. Adding a property to Express's `req` costs a
 * hidden-class transition on every request (about 1 % of a hello-world's CPU); so `stats` is an accessor
 * defined once on Express's own request prototype (`express.request`, the documented place to extend
 * `req`), reading the request's state. Requests the middleware skips get an own property instead.
 * Assigning `req.stats` still works: the setter turns it into an own property.
 */

const kDefined = Symbol.for('statskit.express.reqStats');

function statsGetter(this: object): StatsClient | undefined {
  return stateOf(this)?.stats;
}

function statsSetter(this: object, value: unknown): void {
  Object.defineProperty(this, 'stats', { value, writable: true, enumerable: true, configurable: true });
}

/** Express's base request prototype (the object that owns `accepts`), or undefined outside Express. */
function expressRequestProto(req: object): object | undefined {
  for (let p: object | null = Object.getPrototypeOf(req); p !== null; p = Object.getPrototypeOf(p)) {
    if (Object.hasOwn(p, 'accepts') && Object.hasOwn(p, 'get')) return p;
  }
  return undefined;
}

/** Define the accessor for the Express copy `req` comes from. False when it cannot (then assign). */
export function defineReqStats(req: object): boolean {
  const proto = expressRequestProto(req) as (object & { [kDefined]?: true }) | undefined;
  if (proto === undefined) return false;
  if (proto[kDefined] === true) return true;
  const existing = Object.getOwnPropertyDescriptor(proto, 'stats');
  if (existing !== undefined && existing.configurable !== true) return false;
  Object.defineProperty(proto, 'stats', {
    get: statsGetter,
    set: statsSetter,
    enumerable: false,
    configurable: true,
  });
  Object.defineProperty(proto, kDefined, { value: true });
  return true;
}
