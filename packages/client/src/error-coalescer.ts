import type { StatsError } from './errors.js';

/** Distinct (code, metric) keys kept apart; past this many, errors share their code's key. */
const MAX_KEYS = 1000;

/**
 * What errors are coalesced by: their code *and* the metric they are about (an `InvalidMetricError`'s
 * `metric`), so a NaN timing on `db.query` is not hidden behind a string value on `jobs.done`, which
 * has the same code. Errors about no metric (transport, options), or with a metric that is not a
 * string, share their code's key; so do all once `size` distinct keys are known.
 */
export function coalesceKey(err: StatsError, size: number): string {
  const metric = (err as { metric?: unknown }).metric;
  return typeof metric === 'string' && size < MAX_KEYS ? `${err.code}\u0000${metric}` : err.code;
}

/** `"name"` of a coalescing key, or `''` for a key of a code alone. */
function metricOf(key: string): string {
  const at = key.indexOf('\u0000');
  return at === -1 ? '' : ` on "${key.slice(at + 1)}"`;
}

/** Entries shown in a summary at close(); the rest are counted. */
const SHOWN = 10;

/**
 * One line for what was held back: `"12 of STATSKIT_ERR_INVALID_VALUE on "db.query", 3 of ..."`, or
 * undefined when nothing was.
 */
export function heldBackSummary(held: ReadonlyMap<string, number>): string | undefined {
  const parts: string[] = [];
  let total = 0;
  let keys = 0;
  for (const [key, n] of held) {
    if (n <= 0) continue;
    total += n;
    keys++;
    if (parts.length < SHOWN) {
      const at = key.indexOf('\u0000');
      parts.push(`${n} × ${at === -1 ? key : key.slice(0, at)}${metricOf(key)}`);
    }
  }
  if (total === 0) return undefined;
  const more = keys > SHOWN ? `, and ${keys - SHOWN} more` : '';
  return `statskit: ${total} error${total === 1 ? ' was' : 's were'} held back (not shown) since the last warning of their kind: ${parts.join(', ')}${more}`;
}

/** What is known of one (code, metric) key. */
interface CodeState {
  /** When an error of this key was last passed on (`Date.now()`). */
  at: number;
  /** Errors of this key held back since then. */
  withheld: number;
  /** The latest of them: passed on, with the count, when the interval ends. */
  latest: StatsError | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The `onErrorInterval` option: passes at most one error per code and metric name per interval to a
 * user's onError ({@link coalesceKey}). The first error of a key goes through at once; later ones within the interval are held back, and
 * when it ends the latest of them goes through with `suppressed` set to how many others were held back
 * (so a storm of 830 refused packets a second becomes one call a second, with the count). Timers are
 * unref'd; close() passes on what is still held.
 */
export class ErrorCoalescer {
  readonly #interval: number;
  readonly #deliver: (err: StatsError) => void;
  readonly #codes = new Map<string, CodeState>();

  constructor(interval: number, deliver: (err: StatsError) => void) {
    this.#interval = interval;
    this.#deliver = deliver;
  }

  report(err: StatsError): void {
    const now = Date.now();
    const key = coalesceKey(err, this.#codes.size);
    const s = this.#codes.get(key);
    if (s === undefined) {
      this.#codes.set(key, { at: now, withheld: 0, latest: undefined, timer: undefined });
      this.#pass(err, 0);
      return;
    }
    if (s.timer === undefined && now - s.at >= this.#interval) {
      s.at = now;
      this.#pass(err, 0);
      return;
    }
    s.withheld++;
    s.latest = err;
    if (s.timer === undefined) {
      s.timer = setTimeout(() => this.#release(s), s.at + this.#interval - now);
      s.timer.unref();
    }
  }

  /** Pass on every error still held back (at close()). */
  flush(): void {
    for (const s of this.#codes.values()) this.#release(s);
  }

  #release(s: CodeState): void {
    if (s.timer !== undefined) clearTimeout(s.timer);
    s.timer = undefined;
    const err = s.latest;
    if (err === undefined) return;
    const others = s.withheld - 1;
    s.latest = undefined;
    s.withheld = 0;
    s.at = Date.now();
    this.#pass(err, others);
  }

  #pass(err: StatsError, suppressed: number): void {
    (err as { suppressed?: number }).suppressed = suppressed;
    this.#deliver(err);
  }
}
