import { AsyncLocalStorage } from 'node:async_hooks';
import type { ContextKind, KindTotals } from './types.js';

/** Distinct kinds one request keeps; later kinds are ignored (names must stay bounded). */
export const MAX_KINDS_PER_REQUEST = 16;

/** One kind's running totals. A class so every entry has the same shape. */
class Totals implements KindTotals {
  readonly kind: string;
  count: number;
  timeMs: number;

  constructor(kind: string, timeMs: number) {
    this.kind = kind;
    this.count = 1;
    this.timeMs = timeMs;
  }
}

const NO_TOTALS: readonly KindTotals[] = Object.freeze([]);

/**
 * What one request has done so far, added to by instrumentation while it runs (DB queries, cache calls,
 * outbound HTTP) and read once by the request recorder when it ends.
 *
 * Cheap by design: the first `add()` of a kind allocates its entry; later ones only add two numbers.
 *
 * @example
 * ```ts
 * import { currentRequest } from '@statskit/instrument';
 * const t0 = performance.now();
 * const rows = await pool.query(sql);
 * currentRequest()?.add('db', performance.now() - t0);
 * ```
 */
export class RequestContext {
  #totals: Totals[] | undefined;

  /**
   * Count one operation of `kind` that took `ms` milliseconds. A negative or non-finite `ms` counts the
   * operation with no time. Never throws.
   */
  add(kind: ContextKind, ms: number): void {
    const time = ms >= 0 && ms !== Number.POSITIVE_INFINITY ? ms : 0;
    const totals = this.#totals;
    if (totals === undefined) {
      if (typeof kind !== 'string' || kind === '') return;
      this.#totals = [new Totals(kind, time)];
      return;
    }
    for (let i = 0; i < totals.length; i++) {
      const t = totals[i] as Totals;
      if (t.kind === kind) {
        t.count++;
        t.timeMs += time;
        return;
      }
    }
    if (totals.length >= MAX_KINDS_PER_REQUEST || typeof kind !== 'string' || kind === '') return;
    totals.push(new Totals(kind, time));
  }

  /** Operations of `kind` counted so far (0 when none). */
  count(kind: ContextKind): number {
    return this.#find(kind)?.count ?? 0;
  }

  /** Total milliseconds spent in `kind` so far (0 when none). */
  timeMs(kind: ContextKind): number {
    return this.#find(kind)?.timeMs ?? 0;
  }

  /** Every kind used so far, in first-use order. The array is live: read it, do not keep it. */
  get totals(): readonly KindTotals[] {
    return this.#totals ?? NO_TOTALS;
  }

  #find(kind: string): Totals | undefined {
    const totals = this.#totals;
    if (totals === undefined) return undefined;
    for (const t of totals) if (t.kind === kind) return t;
    return undefined;
  }
}

/**
 * One storage per process, even when both the ESM and the CJS build of this package are loaded (an app
 * importing one and an instrumentation requiring the other must still see the same request).
 */
const kStorage = Symbol.for('statskit.instrument.requestStorage');
type WithStorage = typeof globalThis & { [kStorage]?: AsyncLocalStorage<RequestContext> };
const holder = globalThis as WithStorage;
const storage: AsyncLocalStorage<RequestContext> =
  holder[kStorage] ?? new AsyncLocalStorage<RequestContext>();
holder[kStorage] = storage;

/**
 * Run `fn` with `ctx` as the current request: everything `fn` starts, synchronously or asynchronously,
 * sees it through {@link currentRequest}. Returns what `fn` returns.
 *
 * @example
 * ```ts
 * const ctx = new RequestContext();
 * runWithRequest(ctx, () => next());
 * // later, when the response is done:
 * ctx.count('db'); // queries made while handling the request
 * ```
 */
export function runWithRequest<R>(ctx: RequestContext, fn: () => R): R {
  return storage.run(ctx, fn);
}

/**
 * The request being handled, or `undefined` outside one (startup code, timers not started by a
 * request).
 *
 * @example
 * ```ts
 * currentRequest()?.add('cache', 0.4);
 * ```
 */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}
