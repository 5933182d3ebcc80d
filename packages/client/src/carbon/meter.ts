/**
 * Exponentially weighted moving averages of a rate, the way the Metrics library's `Meter` computes
 * them: every 5 s the count seen since the last tick becomes an instant rate, folded into three
 * averages whose weights decay over 1, 5 and 15 minutes. Rates are per second.
 *
 * Ticks are applied lazily (at flush), never on a timer: `mark()` on the hot path is one addition.
 */

/** Seconds between ticks. */
const TICK_S = 5;
const TICK_MS = TICK_S * 1000;
const ALPHA_1 = 1 - Math.exp(-TICK_S / 60);
const ALPHA_5 = 1 - Math.exp(-TICK_S / 60 / 5);
const ALPHA_15 = 1 - Math.exp(-TICK_S / 60 / 15);

export class Meter {
  /** Total marked since the meter was made. */
  count = 0;
  /** Marked since the last tick. */
  #uncounted = 0;
  #m1 = 0;
  #m5 = 0;
  #m15 = 0;
  #initialized = false;
  #start: number;
  #lastTick: number;

  constructor(now: number) {
    this.#start = now;
    this.#lastTick = now;
  }

  /** Start again from nothing at `now` (ms): after the count overflowed to ±Infinity. */
  reset(now: number): void {
    this.count = 0;
    this.#uncounted = 0;
    this.#m1 = 0;
    this.#m5 = 0;
    this.#m15 = 0;
    this.#initialized = false;
    this.#start = now;
    this.#lastTick = now;
  }

  mark(n: number): void {
    this.count += n;
    this.#uncounted += n;
  }

  /** Apply the ticks due at `now` (ms): the first takes what was marked, later ones see zero. */
  tick(now: number): void {
    const ticks = Math.floor((now - this.#lastTick) / TICK_MS);
    if (ticks <= 0) return;
    this.#lastTick += ticks * TICK_MS;
    const instant = this.#uncounted / TICK_S;
    this.#uncounted = 0;
    if (this.#initialized) {
      this.#m1 += ALPHA_1 * (instant - this.#m1);
      this.#m5 += ALPHA_5 * (instant - this.#m5);
      this.#m15 += ALPHA_15 * (instant - this.#m15);
    } else {
      this.#m1 = instant;
      this.#m5 = instant;
      this.#m15 = instant;
      this.#initialized = true;
    }
    if (ticks > 1) {
      // the remaining ticks each multiply by (1 - alpha): in closed form, so a long idle costs nothing
      const k = ticks - 1;
      this.#m1 *= (1 - ALPHA_1) ** k;
      this.#m5 *= (1 - ALPHA_5) ** k;
      this.#m15 *= (1 - ALPHA_15) ** k;
    }
  }

  /** The count and the three rates are finite (not overflowed to ±Infinity). */
  get finite(): boolean {
    return (
      this.count - this.count === 0 &&
      this.#m1 - this.#m1 === 0 &&
      this.#m5 - this.#m5 === 0 &&
      this.#m15 - this.#m15 === 0
    );
  }

  get m1(): number {
    return this.#m1;
  }
  get m5(): number {
    return this.#m5;
  }
  get m15(): number {
    return this.#m15;
  }

  /** Count per second since the meter was made (0 in its first millisecond). */
  meanRate(now: number): number {
    const elapsed = now - this.#start;
    return elapsed > 0 ? (this.count * 1000) / elapsed : 0;
  }
}
