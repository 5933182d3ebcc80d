/**
 * DogStatsD extensions: events (`_e{…}`), service checks (`_sc|…`) and metric timestamps (`|T`).
 * Pure formatting, no I/O. Formats as documented by Datadog ("Datagram Format and Shell Usage") and
 * parsed by the Agent (comp/dogstatsd/server: parse_events.go, parse_service_checks.go):
 *
 *   _e{<title bytes>,<text bytes>}:<title>|<text>|d:<ts>|h:<host>|k:<key>|p:<priority>|s:<source>|t:<alert>|#<tags>
 *   _sc|<name>|<status>|d:<ts>|h:<host>|#<tags>|m:<message>
 *   <metric line>|T<unix seconds>
 *
 * Event title and text carry newlines as the two characters `\n` (the Agent turns them back), and the
 * lengths in the header count the escaped UTF-8 bytes, so `|` is allowed in both. A service check
 * message must come last; its newlines are escaped the same way and `m:` becomes `m\:` (as Datadog's
 * clients do). Other free-text fields cannot hold `|` or a newline, which would end the field or the line.
 */
import type { Tags } from '../types.js';
import { dateMs, describe, read, UNREADABLE } from './describe.js';

/** Priority of an event. */
export type EventPriority = 'normal' | 'low';

/** Alert type of an event. */
export type EventAlertType = 'error' | 'warning' | 'info' | 'success';

/** Options of `stats.event()`. */
export interface EventOptions {
  /** When it happened: a `Date` or Unix time in **seconds**. Default: when the Agent receives it. */
  readonly timestamp?: Date | number | undefined;
  /** Host the event is about. */
  readonly hostname?: string | undefined;
  /** Groups events with the same key. */
  readonly aggregationKey?: string | undefined;
  /** `normal` (default) or `low`. */
  readonly priority?: EventPriority | undefined;
  /** Source type name, e.g. `jenkins`. */
  readonly sourceType?: string | undefined;
  /** `info` (default), `success`, `warning` or `error`. */
  readonly alertType?: EventAlertType | undefined;
  /** Tags for this event, on top of the client's. */
  readonly tags?: Tags | undefined;
}

/** Service check statuses, as sent on the wire. */
export const CheckStatus = {
  /** The service is healthy. */
  OK: 0,
  /** Degraded. */
  WARNING: 1,
  /** Failing. */
  CRITICAL: 2,
  /** The check could not tell. */
  UNKNOWN: 3,
} as const;
/** One of the {@link CheckStatus} values. */
export type CheckStatus = (typeof CheckStatus)[keyof typeof CheckStatus];

/** Options of `stats.check()`. */
export interface CheckOptions {
  /** When the check ran: a `Date` or Unix time in **seconds**. Default: when the Agent receives it. */
  readonly timestamp?: Date | number | undefined;
  /** Host the check is about. */
  readonly hostname?: string | undefined;
  /** What the status means; sent last. */
  readonly message?: string | undefined;
  /** Tags for this check, on top of the client's. */
  readonly tags?: Tags | undefined;
}

const PRIORITIES: ReadonlySet<string> = new Set(['normal', 'low']);
const ALERT_TYPES: ReadonlySet<string> = new Set(['error', 'warning', 'info', 'success']);

/** Above this a "seconds" timestamp is almost certainly milliseconds (year 5138). */
const MAX_SECONDS = 1e11;

/**
 * Unix seconds from a `Date` or a number of seconds (fractions are floored, or rounded with
 * `round: Math.round` as hot-shots does). `undefined` for a value that is not a valid time — including
 * what looks like milliseconds, a common mistake. Runs none of the caller's code.
 */
export function unixSeconds(t: unknown, round: (x: number) => number = Math.floor): number | undefined {
  const s =
    typeof t === 'number'
      ? round(t)
      : typeof t === 'object' && t !== null
        ? round(dateMs(t) / 1000)
        : Number.NaN;
  return s >= 0 && s < MAX_SECONDS ? s : undefined;
}

/** The `|T<seconds>` suffix of a timestamped metric, or `undefined` when `t` is not a valid time. */
export function timestampSuffix(t: unknown): string | undefined {
  const s = unixSeconds(t);
  return s === undefined ? undefined : `|T${s}`;
}

/** Newlines (CRLF, LF, lone CR) as the two characters `\n`. */
function escapeNewlines(s: string): string {
  if (s.indexOf('\n') === -1 && s.indexOf('\r') === -1) return s;
  return s.replaceAll('\r\n', '\\n').replaceAll('\n', '\\n').replaceAll('\r', '\\n');
}

/** A free-text field that cannot hold `|` or a line break: those become `_`. */
function field(s: string): string {
  if (s.indexOf('|') === -1 && s.indexOf('\n') === -1 && s.indexOf('\r') === -1) return s;
  return s.replaceAll('|', '_').replaceAll('\n', '_').replaceAll('\r', '_');
}

/**
 * A service check message: newlines escaped, `m:` → `m\:`, and `|` → `¦`, because the Agent splits
 * the check on `|` and a later `|#…` or `|h:…` in the message would be read as a field.
 */
function escapeCheckMessage(message: string): string {
  return escapeNewlines(message).replaceAll('m:', 'm\\:').replaceAll('|', '¦');
}

/** Why an event or check was rejected (the caller reports it), or the formatted line. */
export type Formatted = { readonly line: string } | { readonly error: string; readonly badName?: true };

/** A free-text option: a string (or a number) as a field, or why not. */
function text(opts: object, key: string, what: string): string | { readonly error: string } | undefined {
  const v = read(opts, key);
  if (v === undefined || typeof v === 'string') return v;
  if (typeof v === 'number') return `${v}`;
  return {
    error:
      v === UNREADABLE
        ? `reading ${what} ${key} threw`
        : `${what} ${key} must be a string, got ${describe(v)}`,
  };
}

/** `|d:<seconds>` from the `timestamp` option, '' without one, or why not. */
function timestampField(opts: object, what: string): string | { readonly error: string } {
  const t = read(opts, 'timestamp');
  if (t === undefined) return '';
  if (t === UNREADABLE) return { error: `reading ${what} timestamp threw` };
  const s = unixSeconds(t);
  return s === undefined ? { error: `${what} timestamp ${describe(t)} is not a time in seconds` } : `|d:${s}`;
}

/**
 * Format an event. `tagStr` is the DogStatsD tag suffix (`|#a:b,c`) or ''. Options are read once each,
 * guarded: an option whose getter throws, or of the wrong type, rejects the event.
 */
export function formatEvent(title: unknown, body: unknown, opts: unknown, tagStr: string): Formatted {
  if (typeof title !== 'string' || title === '') {
    return { error: 'event title must be a non-empty string', badName: true };
  }
  if (typeof body !== 'string') return { error: `event text must be a string, got ${describe(body)}` };
  const t = escapeNewlines(title);
  const x = escapeNewlines(body);
  let line = `_e{${Buffer.byteLength(t)},${Buffer.byteLength(x)}}:${t}|${x}`;
  if (opts !== undefined && opts !== null) {
    const d = timestampField(opts, 'event');
    if (typeof d !== 'string') return d;
    line += d;
    const hostname = text(opts, 'hostname', 'event');
    if (typeof hostname === 'object') return hostname;
    if (hostname !== undefined) line += `|h:${field(hostname)}`;
    const key = text(opts, 'aggregationKey', 'event');
    if (typeof key === 'object') return key;
    if (key !== undefined) line += `|k:${field(key)}`;
    const priority = read(opts, 'priority');
    if (priority !== undefined) {
      if (typeof priority !== 'string' || !PRIORITIES.has(priority))
        return { error: `event priority must be normal or low, got ${describe(priority)}` };
      line += `|p:${priority}`;
    }
    const source = text(opts, 'sourceType', 'event');
    if (typeof source === 'object') return source;
    if (source !== undefined) line += `|s:${field(source)}`;
    const alert = read(opts, 'alertType');
    if (alert !== undefined) {
      if (typeof alert !== 'string' || !ALERT_TYPES.has(alert)) {
        return {
          error: `event alertType must be error, warning, info or success, got ${describe(alert)}`,
        };
      }
      line += `|t:${alert}`;
    }
  }
  return { line: line + tagStr };
}

/** Format a service check. `tagStr` is the DogStatsD tag suffix (`|#a:b,c`) or ''. Options as for events. */
export function formatCheck(name: unknown, status: unknown, opts: unknown, tagStr: string): Formatted {
  if (typeof name !== 'string' || name === '') {
    return { error: 'service check name must be a non-empty string', badName: true };
  }
  if (status !== 0 && status !== 1 && status !== 2 && status !== 3) {
    return {
      error: `service check status must be 0 (OK), 1 (WARNING), 2 (CRITICAL) or 3 (UNKNOWN), got ${describe(status)}`,
    };
  }
  let line = `_sc|${field(name)}|${status}`;
  let message = '';
  if (opts !== undefined && opts !== null) {
    const d = timestampField(opts, 'service check');
    if (typeof d !== 'string') return d;
    line += d;
    const hostname = text(opts, 'hostname', 'service check');
    if (typeof hostname === 'object') return hostname;
    if (hostname !== undefined) line += `|h:${field(hostname)}`;
    const m = text(opts, 'message', 'service check');
    if (typeof m === 'object') return m;
    if (m !== undefined && m !== '') message = `|m:${escapeCheckMessage(m)}`;
  }
  return { line: line + tagStr + message };
}
