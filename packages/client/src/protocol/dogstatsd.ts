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
export const CheckStatus = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;
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
 * Unix seconds from a `Date` or a number of seconds (fractions are floored). `undefined` for a value
 * that is not a valid time — including what looks like milliseconds, a common mistake.
 */
export function unixSeconds(t: Date | number): number | undefined {
  const s =
    t instanceof Date ? Math.floor(t.getTime() / 1000) : typeof t === 'number' ? Math.floor(t) : Number.NaN;
  return s >= 0 && s < MAX_SECONDS ? s : undefined;
}

/** The `|T<seconds>` suffix of a timestamped metric, or `undefined` when `t` is not a valid time. */
export function timestampSuffix(t: Date | number): string | undefined {
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
export function escapeCheckMessage(message: string): string {
  return escapeNewlines(message).replaceAll('m:', 'm\\:').replaceAll('|', '¦');
}

/** Why an event or check was rejected (the caller reports it), or the formatted line. */
export type Formatted = { readonly line: string } | { readonly error: string; readonly badName?: true };

/** Format an event. `tagStr` is the DogStatsD tag suffix (`|#a:b,c`) or ''. */
export function formatEvent(
  title: string,
  text: string,
  opts: EventOptions | undefined,
  tagStr: string,
): Formatted {
  if (typeof title !== 'string' || title === '') {
    return { error: 'event title must be a non-empty string', badName: true };
  }
  if (typeof text !== 'string') return { error: `event text must be a string, got ${typeof text}` };
  const t = escapeNewlines(title);
  const x = escapeNewlines(text);
  let line = `_e{${Buffer.byteLength(t)},${Buffer.byteLength(x)}}:${t}|${x}`;
  if (opts !== undefined) {
    if (opts.timestamp !== undefined) {
      const s = unixSeconds(opts.timestamp);
      if (s === undefined)
        return { error: `event timestamp ${String(opts.timestamp)} is not a time in seconds` };
      line += `|d:${s}`;
    }
    if (opts.hostname !== undefined) line += `|h:${field(String(opts.hostname))}`;
    if (opts.aggregationKey !== undefined) line += `|k:${field(String(opts.aggregationKey))}`;
    if (opts.priority !== undefined) {
      if (!PRIORITIES.has(opts.priority))
        return { error: `event priority must be normal or low, got ${String(opts.priority)}` };
      line += `|p:${opts.priority}`;
    }
    if (opts.sourceType !== undefined) line += `|s:${field(String(opts.sourceType))}`;
    if (opts.alertType !== undefined) {
      if (!ALERT_TYPES.has(opts.alertType)) {
        return {
          error: `event alertType must be error, warning, info or success, got ${String(opts.alertType)}`,
        };
      }
      line += `|t:${opts.alertType}`;
    }
  }
  return { line: line + tagStr };
}

/** Format a service check. `tagStr` is the DogStatsD tag suffix (`|#a:b,c`) or ''. */
export function formatCheck(
  name: string,
  status: CheckStatus,
  opts: CheckOptions | undefined,
  tagStr: string,
): Formatted {
  if (typeof name !== 'string' || name === '') {
    return { error: 'service check name must be a non-empty string', badName: true };
  }
  if (status !== 0 && status !== 1 && status !== 2 && status !== 3) {
    return {
      error: `service check status must be 0 (OK), 1 (WARNING), 2 (CRITICAL) or 3 (UNKNOWN), got ${String(status)}`,
    };
  }
  let line = `_sc|${field(name)}|${status}`;
  let message = '';
  if (opts !== undefined) {
    if (opts.timestamp !== undefined) {
      const s = unixSeconds(opts.timestamp);
      if (s === undefined)
        return { error: `service check timestamp ${String(opts.timestamp)} is not a time in seconds` };
      line += `|d:${s}`;
    }
    if (opts.hostname !== undefined) line += `|h:${field(String(opts.hostname))}`;
    if (opts.message !== undefined && opts.message !== '')
      message = `|m:${escapeCheckMessage(String(opts.message))}`;
  }
  return { line: line + tagStr + message };
}
