import type { StatsError } from './errors.js';

/** What is known of one error code. */
interface CodeState {
  /** When an error of this code was last passed on (`Date.now()`). */
  at: number;
  /** Errors of this code held back since then. */
  withheld: number;
  /** The latest of them: passed on, with the count, when the interval ends. */
  latest: StatsError | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The `onErrorInterval` option: passes at most one error per code per interval to a user's onError.
 * The first error of a code goes through at once; later ones within the interval are held back, and
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
    const s = this.#codes.get(err.code);
    if (s === undefined) {
      this.#codes.set(err.code, { at: now, withheld: 0, latest: undefined, timer: undefined });
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
