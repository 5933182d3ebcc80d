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
 * One storage and one switch per process, even when both the ESM and the CJS build of this package are
 * loaded (an app importing one and an instrumentation requiring the other must see the same request).
 */
interface Shared {
  readonly storage: AsyncLocalStorage<RequestContext>;
  enabled: boolean;
  /** An adapter asked {@link requestContextEnabled} while contexts were off: a request ran without one. */
  missed?: boolean;
  /** The late-switch warning was emitted (once per process). */
  warned?: boolean;
}
const kShared = Symbol.for('statskit.instrument.requestContext');
type WithShared = typeof globalThis & { [kShared]?: Shared };
const holder = globalThis as WithShared;
const shared: Shared = holder[kShared] ?? {
  storage: new AsyncLocalStorage<RequestContext>(),
  enabled: false,
};
holder[kShared] = shared;
const storage = shared.storage;

/**
 * Switch request contexts on for the whole process. Instrumentations call it when they are installed;
 * the first {@link currentRequest} call does it too. Until then adapters skip AsyncLocalStorage, whose
 * async hooks cost a few percent of a small app's throughput on Node 20 when nothing reads the context.
 *
 * @example
 * ```ts
 * import { enableRequestContext } from '@statskit/instrument';
 * enableRequestContext(); // at startup, before the first request
 * ```
 */
export function enableRequestContext(): void {
  shared.enabled = true;
}

/**
 * Whether adapters run requests in a context (see {@link enableRequestContext}). Adapters ask it once
 * per request; a `false` answer is remembered, so a later {@link currentRequest} call that switches
 * contexts on can warn that requests were already handled without one.
 */
export function requestContextEnabled(): boolean {
  if (shared.enabled) return true;
  shared.missed = true;
  return false;
}

const LATE_WARNING =
  'statskit: request contexts were switched on by the first currentRequest() call, after requests had ' +
  'already started without one: those requests (most likely this one too) report no db/cache/http ' +
  'counts. Call enableRequestContext() at startup, or pass `context: true` to the framework adapter, so ' +
  'every request is attributed. (Installing an instrumentation such as instrumentPg() does it too.)';

/** The first currentRequest() switches contexts on: warn once if requests already ran without one. */
function switchOnLate(): void {
  shared.enabled = true;
  if (shared.missed !== true || shared.warned === true) return;
  shared.warned = true;
  process.emitWarning(LATE_WARNING, { type: 'StatsKitWarning', code: 'STATSKIT_LATE_CONTEXT' });
}

/**
 * Run `fn(...args)` with `ctx` as the current request: everything it starts, synchronously or
 * asynchronously, sees it through {@link currentRequest}. Returns what `fn` returns. Works whether or not
 * contexts are enabled (adapters check {@link requestContextEnabled} first).
 *
 * @example
 * ```ts
 * const ctx = new RequestContext();
 * runWithRequest(ctx, next);
 * // later, when the response is done:
 * ctx.count('db'); // queries made while handling the request
 * ```
 */
export function runWithRequest<A extends unknown[], R>(
  ctx: RequestContext,
  fn: (...args: A) => R,
  ...args: A
): R {
  return storage.run(ctx, fn, ...args);
}

/**
 * The request being handled, or `undefined` outside one (startup code, timers not started by a
 * request).
 *
 * **Call {@link enableRequestContext} at startup when you use this yourself** (instrumentations such as
 * `instrumentPg()` do it when installed). Otherwise the first `currentRequest()` call is what switches
 * contexts on, and the requests already running then — typically the very one that made the call —
 * have no context; a one-time `StatsKitWarning` (`STATSKIT_LATE_CONTEXT`) says so when an adapter had
 * already handled requests without one.
 *
 * @example
 * ```ts
 * currentRequest()?.add('cache', 0.4);
 * ```
 */
export function currentRequest(): RequestContext | undefined {
  const ctx = storage.getStore();
  if (ctx === undefined && !shared.enabled) switchOnLate();
  return ctx;
}
