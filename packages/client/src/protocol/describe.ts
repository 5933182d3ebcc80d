/**
 * Naming a caller's value in an error message without running any of the caller's code: `String(x)` and
 * template literals call `toString`/`valueOf`/`Symbol.toPrimitive`, getters and Proxy traps, which may
 * throw (`Object.create(null)`, a revoked Proxy) — and a metric call must never throw.
 */

/** Longest piece of a string quoted in a message. */
const MAX_SHOWN = 100;

/**
 * A short description of `value` for a message: a string quoted (`"8125x"`, so `'8125'` and `8125` differ;
 * cut at 100 characters), a number, boolean, bigint, symbol, `null` or `undefined` as printed, anything
 * else by its kind (`<array>`, `<object>`, `<function>`). Never throws and never calls user code.
 */
export function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value.length > MAX_SHOWN
        ? `${JSON.stringify(value.slice(0, MAX_SHOWN))}… (${value.length} chars)`
        : JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : `${value}`;
    case 'boolean':
    case 'undefined':
      return `${value}`;
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      // String() of a symbol is its description, computed by the engine (Symbol.prototype.toString is not called)
      return String(value);
    case 'function':
      return '<function>';
    default:
      if (value === null) return 'null';
      try {
        return Array.isArray(value) ? '<array>' : '<object>';
      } catch {
        return '<object>'; // a revoked Proxy
      }
  }
}

/** Whether reading `key` from `obj` threw; the error is in {@link readError}. */
export const UNREADABLE: unique symbol = Symbol('statskit.unreadable');

/** What the last {@link read} that returned {@link UNREADABLE} caught. */
export const readError = { cause: undefined as unknown };

/**
 * `obj[key]`, or {@link UNREADABLE} when the read threw (a getter, a Proxy trap, a revoked Proxy).
 * `obj` must not be null or undefined.
 */
export function read(obj: unknown, key: string): unknown {
  try {
    return (obj as Record<string, unknown>)[key];
  } catch (err) {
    readError.cause = err;
    return UNREADABLE;
  }
}

const getTime = Date.prototype.getTime;

/**
 * The time of a real `Date` in ms, or NaN for anything else (including a Proxy of a Date, or an object
 * made from `Date.prototype`). Uses the engine's internal slot: no `instanceof`, no user code.
 */
export function dateMs(value: object): number {
  try {
    return getTime.call(value);
  } catch {
    return Number.NaN;
  }
}
