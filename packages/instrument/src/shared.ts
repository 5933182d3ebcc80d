import { METHODS } from 'node:http';
import { InvalidOptionError, type StatsClient } from '@statskit/client';

/**
 * Small helpers every part of @statskit/instrument uses the same way (the request recorder, the
 * adapters' skeleton, the DB and HTTP-client instrumentations). Internal: not exported from the package.
 */

/** Throw the option error every constructor and option check throws. */
export function fail(message: string): never {
  throw new InvalidOptionError(`statskit: ${message}`);
}

/** Round a duration to the microsecond: precise enough, shorter lines. Negative and NaN give 0. */
export function roundMs(ms: number): number {
  return ms > 0 ? Math.round(ms * 1000) / 1000 : 0;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set(METHODS);

/** A method as reported: a known method as is (or upper-cased), anything else `OTHER`. */
export function normalizeMethod(method: unknown): string {
  if (typeof method !== 'string') return 'OTHER';
  if (KNOWN_METHODS.has(method)) return method;
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : 'OTHER';
}

/** A status code and its class as name segments (`'200'`, `'2xx'`). */
export interface StatusStrings {
  readonly code: string;
  readonly cls: string;
}

/** `'200'` / `'2xx'`; anything but a whole number in 0..999 is `'0'` / `'0xx'`. */
export function statusStrings(status: number): StatusStrings {
  const n = Number.isInteger(status) && status >= 0 && status < 1000 ? status : 0;
  return { code: String(n), cls: `${Math.floor(n / 100)}xx` };
}

/** Does `v` look like a StatsClient (duck-typed: a client from another copy of @statskit/client works too)? */
export function isStatsClient(v: unknown): v is StatsClient {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c['child'] === 'function' && typeof c['timing'] === 'function' && typeof c['incr'] === 'function'
  );
}

/** Whether `v` has a callable `then`. */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}
