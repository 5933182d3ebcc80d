import { InvalidOptionError, type Tags } from '@statskit/client';

/**
 * A limit on one gauge. Exactly one of `above` / `below`.
 * @example
 * ```ts
 * // breach when above 90 for 30 s; recover only once back at or below 80
 * const t: ThresholdOptions = { above: 90, recover: 80, for: 30_000 };
 * ```
 */
export interface ThresholdOptions {
  /** Breach when the value is greater than this. */
  readonly above?: number | undefined;
  /** Breach when the value is less than this. */
  readonly below?: number | undefined;
  /**
   * Hysteresis: once breached, the state recovers only when the value is back at or below `recover`
   * (for `above`) or at or above it (for `below`). Default: the limit itself (no band).
   */
  readonly recover?: number | undefined;
  /**
   * Minimum duration in ms the condition (breach or recovery) must hold, sample after sample, before
   * the state changes. Default 0: the first sample past the level changes it.
   */
  readonly for?: number | undefined;
  /** A label passed through to the event, e.g. `'warning'` or `'critical'`. */
  readonly label?: string | undefined;
}

/** What `onThreshold` receives: once per state change, never once per sample. */
export interface ThresholdEvent {
  /** The full metric name as sent (without the client's prefix), e.g. `host.memory.percent`. */
  readonly name: string;
  /** The series' tags (tags mode, or a poll's `tags`), if any. */
  readonly tags: Readonly<Record<string, string>> | undefined;
  /** The sample that changed the state. */
  readonly value: number;
  /** The breach limit (`above` or `below`). */
  readonly limit: number;
  /** The recovery level. */
  readonly recover: number;
  /** Which side of the limit is a breach: `above` or `below` it. */
  readonly direction: 'above' | 'below';
  /** `breach`: the value went past the limit; `recovery`: it came back past the recovery level. */
  readonly state: 'breach' | 'recovery';
  /** The threshold's `label` option, if it had one. */
  readonly label: string | undefined;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** Called once per state change. A throw is caught and reported. */
export type ThresholdHandler = (event: ThresholdEvent) => void;

/** Thresholds of a collector, by metric name relative to its prefix (`'memory.percent'`, `'eventloop.delay.p99'`). */
export type ThresholdMap = Readonly<Record<string, ThresholdOptions | readonly ThresholdOptions[]>>;

interface Resolved {
  readonly direction: 'above' | 'below';
  readonly limit: number;
  readonly recover: number;
  readonly hold: number;
  readonly label: string | undefined;
}

function fail(message: string): never {
  throw new InvalidOptionError(`statskit: threshold: ${message}`);
}

function finite(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    fail(`\`${what}\` must be a finite number, got ${String(v)}`);
  return v;
}

/** Validate one threshold's options; throws InvalidOptionError. */
export function resolveThreshold(t: ThresholdOptions): Resolved {
  if (typeof t !== 'object' || t === null) fail('options must be an object');
  if ((t.above === undefined) === (t.below === undefined)) fail('give exactly one of `above` and `below`');
  const direction = t.above !== undefined ? 'above' : 'below';
  const limit = finite(t.above ?? t.below, direction);
  const recover = t.recover === undefined ? limit : finite(t.recover, 'recover');
  if (direction === 'above' ? recover > limit : recover < limit) {
    fail(`\`recover\` (${recover}) must be on the safe side of the limit (${direction} ${limit})`);
  }
  const hold = t.for === undefined ? 0 : finite(t.for, 'for');
  if (hold < 0) fail('`for` must be >= 0');
  if (t.label !== undefined && typeof t.label !== 'string') fail('`label` must be a string');
  return { direction, limit, recover, hold, label: t.label };
}

/**
 * The state of one threshold on one series. `update()` returns the new state when a sample changes it,
 * `undefined` otherwise: a value oscillating across the limit inside the hysteresis band changes nothing.
 */
export class ThresholdState {
  readonly #t: Resolved;
  #breached = false;
  /** When the opposite condition was first seen, in the current unbroken run of samples; NaN if not. */
  #since = Number.NaN;

  constructor(t: Resolved) {
    this.#t = t;
  }

  get breached(): boolean {
    return this.#breached;
  }

  update(value: number, at: number): 'breach' | 'recovery' | undefined {
    const t = this.#t;
    const up = t.direction === 'above';
    const wantsChange = this.#breached
      ? up
        ? value <= t.recover
        : value >= t.recover
      : up
        ? value > t.limit
        : value < t.limit;
    if (!wantsChange) {
      this.#since = Number.NaN;
      return undefined;
    }
    if (Number.isNaN(this.#since)) this.#since = at;
    if (at - this.#since < t.hold) return undefined;
    this.#since = Number.NaN;
    this.#breached = !this.#breached;
    return this.#breached ? 'breach' : 'recovery';
  }

  event(name: string, tags: Record<string, string> | undefined, value: number, state: 'breach' | 'recovery') {
    const t = this.#t;
    return {
      name,
      tags,
      value,
      limit: t.limit,
      recover: t.recover,
      direction: t.direction,
      state,
      label: t.label,
      at: Date.now(),
    } satisfies ThresholdEvent;
  }
}

/** Normalise `ThresholdOptions | ThresholdOptions[]` and validate each. */
export function resolveThresholds(v: ThresholdOptions | readonly ThresholdOptions[] | undefined): Resolved[] {
  if (v === undefined) return [];
  const list: readonly ThresholdOptions[] = Array.isArray(v) ? v : [v as ThresholdOptions];
  return list.map(resolveThreshold);
}

/** Resolve a collector's map once; throws InvalidOptionError. */
export function resolveThresholdMap(map: ThresholdMap | undefined): Map<string, Resolved[]> {
  const out = new Map<string, Resolved[]>();
  if (map === undefined) return out;
  if (typeof map !== 'object' || map === null) fail('`thresholds` must be an object of metric name → limits');
  for (const [name, v] of Object.entries(map)) out.set(name, resolveThresholds(v));
  return out;
}

export type { Resolved as ResolvedThreshold };

/** Any value as a string without ever throwing (a BigInt, a Symbol, an object whose toString throws). */
export function text(v: unknown): string {
  try {
    return String(v);
  } catch {
    return '?';
  }
}

/** A flat tag object from `Tags` for threshold events (arrays → `k:v` split). */
export function tagRecord(tags: Tags | undefined): Record<string, string> | undefined {
  if (tags === undefined) return undefined;
  const out: Record<string, string> = {};
  try {
    if (Array.isArray(tags)) {
      for (const t of tags as readonly unknown[]) {
        const s = text(t);
        const i = s.indexOf(':');
        if (i < 0) out[s] = '';
        else out[s.slice(0, i)] = s.slice(i + 1);
      }
    } else if (tags instanceof Map) {
      for (const [k, v] of tags as ReadonlyMap<unknown, unknown>) out[text(k)] = text(v);
    } else {
      for (const [k, v] of Object.entries(tags as Record<string, unknown>)) out[k] = text(v);
    }
  } catch {
    // a Proxy or getter that throws: the event carries what was read before it
  }
  return out;
}
