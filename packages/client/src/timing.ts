import type { Core } from './core.js';
import { ErrorCodes, InvalidMetricError, InvalidOptionError } from './errors.js';
import { describe, read, readError, UNREADABLE } from './protocol/describe.js';
import { mergeTags, tagsUnreadable } from './protocol/tags.js';
import type { MetricOptions, Tags, TimeOptions } from './types.js';

/** A running timer from `stats.timer()`. */
export interface Timer {
  /** Send the elapsed time (once) and return it in ms. Later calls return the same value and send nothing. */
  stop(): number;
}

/** A method decorator from `stats.timed()`: TC39 (TypeScript 5+) or legacy `experimentalDecorators`. */
export interface TimedDecorator {
  <This, Args extends unknown[], Return>(
    value: (this: This, ...args: Args) => Return,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Return>,
  ): (this: This, ...args: Args) => Return;
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/** What timing needs of the client: its public `timing()` and `time()`. */
interface TimingClient {
  timing(name: string, ms: number, opts?: MetricOptions): void;
  time<T>(name: string, fn: () => T, opts?: TimeOptions): T;
}

/** Sends a measured duration (`|ms`) through the client's hot path. */
type SendMs = (name: string, ms: number, opts: MetricOptions | undefined) => void;

/** Round measured ms to the microsecond: enough precision, shorter lines. */
function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === 'object' || typeof v === 'function') &&
    typeof (v as { then?: unknown }).then === 'function'
  );
}

/**
 * `stats.timer()`: sends through the client's `timing()` on the first `stop()`. `stop` is an own, bound
 * function (as it always was), so `t.stop` may be handed on as a callback (`res.on('finish', t.stop)`);
 * a prototype method would save its closure but break that.
 */
export function startTimer(stats: TimingClient, name: string, opts: MetricOptions | undefined): Timer {
  const start = performance.now();
  let elapsed = -1;
  return {
    stop: (): number => {
      if (elapsed < 0) {
        elapsed = roundMs(performance.now() - start);
        stats.timing(name, elapsed, opts);
      }
      return elapsed;
    },
  };
}

/**
 * `stats.time()` and `stats.timed()` of one client, made on the first use: the client's core (errors,
 * tag format) and a function, bound once, that sends through the client's hot path.
 */
export class Timing {
  readonly #core: Core;
  readonly #send: SendMs;

  constructor(core: Core, send: SendMs) {
    this.#core = core;
    this.#send = send;
  }

  /** `stats.time()`: see there. */
  time<T>(name: string, fn: () => T, opts: TimeOptions | undefined): T {
    if (typeof fn !== 'function') {
      // Never throw from a metric call: report, time nothing, return what a missing fn would.
      this.#core.dropInvalid(
        new InvalidMetricError(
          ErrorCodes.INVALID_VALUE,
          `statskit: time(${describe(name)}) needs a function`,
          name,
        ),
      );
      return undefined as T;
    }
    const start = performance.now();
    let result: T;
    try {
      result = fn();
    } catch (err) {
      this.#timed(name, start, opts, true);
      throw err;
    }
    if (isThenable(result)) {
      return result.then(
        (value) => {
          this.#timed(name, start, opts, false);
          return value;
        },
        (err: unknown) => {
          this.#timed(name, start, opts, true);
          throw err;
        },
      ) as T;
    }
    this.#timed(name, start, opts, false);
    return result;
  }

  #timed(name: string, start: number, opts: TimeOptions | undefined, failed: boolean): void {
    const ms = roundMs(performance.now() - start);
    if (failed && opts !== undefined && opts !== null) {
      // read once each; anything unreadable is reported by the hot path reading `opts` itself
      const errorTags = read(opts, 'errorTags');
      const rate = read(opts, 'rate');
      const tags = read(opts, 'tags');
      if (errorTags === UNREADABLE) {
        tagsUnreadable(this.#core.report, name, 'opts.errorTags', readError.cause);
      } else if (errorTags !== undefined && rate !== UNREADABLE && tags !== UNREADABLE) {
        const merged =
          tags === undefined
            ? errorTags
            : mergeTags(tags, errorTags, this.#core.report, this.#core.options.tagFormat);
        this.#send(name, ms, { rate: rate as number | undefined, tags: merged as Tags });
        return;
      }
    }
    this.#send(name, ms, opts);
  }
}

/** `stats.timed()`: a decorator that times every call of the method with the client's `time()`. */
export function timedDecorator(
  stats: TimingClient,
  name: string,
  opts: TimeOptions | undefined,
): TimedDecorator {
  const wrap = (method: (...args: unknown[]) => unknown) =>
    function timedMethod(this: unknown, ...args: unknown[]): unknown {
      return stats.time(name, () => method.apply(this, args), opts);
    };
  return function decorate(target: unknown, context: unknown, descriptor?: PropertyDescriptor): unknown {
    if (descriptor !== undefined && typeof descriptor.value === 'function') {
      return { ...descriptor, value: wrap(descriptor.value as (...args: unknown[]) => unknown) };
    }
    if (typeof target === 'function' && typeof context === 'object' && context !== null) {
      return wrap(target as (...args: unknown[]) => unknown);
    }
    throw new InvalidOptionError('statskit: @timed() decorates methods only');
  } as TimedDecorator;
}
