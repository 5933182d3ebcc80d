/**
 * Graphite events: `POST <graphite-web>/events/` with `{ what, tags, data, when }`, for deploy markers
 * drawn with `drawAsInfinite(events('deploy'))`. Bounded: at most `maxPending` events wait or are in
 * flight (4 at a time); more are dropped (`STATSKIT_ERR_QUEUE_FULL`). Each request has a timeout. A
 * failure (refused, timeout, HTTP error) goes to onError as `STATSKIT_ERR_EVENT_FAILED`; nothing throws.
 */

import { type ErrorCode, ErrorCodes, StatsError } from '../errors.js';
import { describe } from '../protocol/describe.js';
import { sanitize } from '../protocol/sanitize.js';
import type { ResolvedGraphiteWebOptions } from './options.js';

/** Options of `annotate()`. */
export interface AnnotateOptions {
  /** Event tags: words (`['deploy', 'api']`) or key/values (`{ service: 'api' }` → `service=api`). */
  readonly tags?: readonly string[] | Readonly<Record<string, string | number | boolean>> | undefined;
  /** Free text shown with the event (a version, a changelog link). */
  readonly data?: string | undefined;
  /**
   * When it happened: a Date or Unix seconds. Default now. A number from 1e11 up (the year 5138) is
   * taken for milliseconds (`Date.now()`) and refused (`STATSKIT_ERR_INVALID_VALUE`), as is one that is
   * not finite or a Date that is invalid.
   */
  readonly when?: Date | number | undefined;
}

/** At most this many requests in flight at once. */
const CONCURRENCY = 4;
/** Longest `what` / `data` sent, in characters. */
const MAX_TEXT = 4096;

/**
 * `when` from here up (1e11 s, the year 5138) is refused as milliseconds: `Date.now()` has been above
 * it since 1973, and graphite-web answers such a timestamp with HTTP 500 (past the year 9999).
 */
export const MAX_WHEN_SECONDS = 1e11;

/**
 * What graphite-web splits event tags on: its whitespace (`str.split()`: Unicode whitespace and the
 * control characters U+001C–001F, U+0085), and django-tagging's parser, which switches to `,` as the
 * separator and reads `"…"` as one tag as soon as either appears. Replaced by `_`.
 */
const TAG_SPLITS = /[\s,"\u0000-\u001f\u007f-\u009f]+/g;

/** No character is reserved: {@link sanitize} only maps lone surrogates to U+FFFD, as the statsd path does. */
const NOTHING_RESERVED = new Uint8Array(128);

/** Text graphite-web can store: a lone surrogate (not valid UTF-8; HTTP 500) becomes U+FFFD. */
function text(s: string): string {
  return sanitize(s, NOTHING_RESERVED);
}

/** A tag word: nothing in it that graphite-web splits tags on. */
function word(s: string): string {
  return text(s).replace(TAG_SPLITS, '_');
}

function eventTags(tags: AnnotateOptions['tags']): string[] {
  if (tags === undefined || tags === null) return [];
  const out: string[] = [];
  const add = (w: string): void => {
    if (w !== '' && !out.includes(w)) out.push(w);
  };
  if (Array.isArray(tags)) {
    for (const t of tags) if (typeof t === 'string') add(word(t));
  } else if (typeof tags === 'object') {
    for (const [k, v] of Object.entries(tags)) {
      if (v === false || v === undefined || v === null) continue;
      add(v === true ? word(k) : `${word(k)}=${word(String(v))}`);
    }
  }
  return out;
}

interface Job {
  readonly body: string;
  readonly what: string;
  readonly resolve: (ok: boolean) => void;
}

export class GraphiteEvents {
  readonly #opts: ResolvedGraphiteWebOptions;
  readonly #report: (err: StatsError) => void;
  readonly #queue: Job[] = [];
  #inFlight = 0;
  #closed = false;
  /** close() waiting for the last pending event. */
  #idle: (() => void)[] = [];

  constructor(opts: ResolvedGraphiteWebOptions, report: (err: StatsError) => void) {
    this.#opts = opts;
    this.#report = report;
  }

  /** Waiting or in flight. */
  get pending(): number {
    return this.#queue.length + this.#inFlight;
  }

  /** Queue one event; resolves true once graphite-web stored it, false otherwise (reported). */
  post(what: unknown, opts: AnnotateOptions | undefined): Promise<boolean> {
    if (typeof what !== 'string' || what === '') {
      this.#fail(
        `statskit: annotate() needs a non-empty string, got ${describe(what)}; not sent`,
        undefined,
        ErrorCodes.INVALID_VALUE,
      );
      return Promise.resolve(false);
    }
    if (this.#closed) {
      this.#fail(
        `statskit: annotate(${describe(what)}) after close(); not sent`,
        undefined,
        ErrorCodes.CLOSED,
      );
      return Promise.resolve(false);
    }
    if (this.pending >= this.#opts.maxPending) {
      this.#fail(
        `statskit: ${this.pending} Graphite events already pending (graphiteWeb.maxPending); ${describe(what)} dropped`,
        undefined,
        ErrorCodes.QUEUE_FULL,
      );
      return Promise.resolve(false);
    }
    let body: string;
    try {
      const o = opts ?? {};
      const given = o.when;
      const when = given instanceof Date ? given.getTime() / 1000 : (given ?? undefined);
      if (
        when !== undefined &&
        (typeof when !== 'number' || !Number.isFinite(when) || when >= MAX_WHEN_SECONDS)
      ) {
        this.#fail(
          typeof when === 'number' && when >= MAX_WHEN_SECONDS && Number.isFinite(when)
            ? `statskit: annotate(${describe(what)}): when ${when} is milliseconds, not Unix seconds (from ${MAX_WHEN_SECONDS} up); pass a Date or Math.floor(ms / 1000); not sent`
            : `statskit: annotate(${describe(what)}): when must be a valid Date or Unix seconds, got ${describe(given)}; not sent`,
          undefined,
          ErrorCodes.INVALID_VALUE,
        );
        return Promise.resolve(false);
      }
      body = JSON.stringify({
        what: text(what.slice(0, MAX_TEXT)),
        tags: eventTags(o.tags),
        data: typeof o.data === 'string' ? text(o.data.slice(0, MAX_TEXT)) : '',
        ...(when === undefined ? {} : { when: Math.floor(when) }),
      });
    } catch (err) {
      this.#fail(
        `statskit: annotate(${describe(what)}): reading its options threw; not sent`,
        err,
        ErrorCodes.INVALID_VALUE,
      );
      return Promise.resolve(false);
    }
    return new Promise<boolean>((resolve) => {
      this.#queue.push({ body, what, resolve });
      this.#pump();
    });
  }

  /**
   * Refuse new events; those pending still go. Resolves when none is pending: those in flight end within
   * the requests' timeout; those still waiting for a turn when that first timeout has passed are dropped
   * (reported), so close() takes at most about twice `graphiteWeb.timeout`. Its timers are not unref'd:
   * close() holds the process open until the events are settled (an exit right after `await close()`
   * loses none).
   */
  close(): Promise<void> {
    this.#closed = true;
    if (this.pending === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let bound: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        const waiting = this.#queue.splice(0);
        if (waiting.length > 0) {
          this.#fail(
            `statskit: close(): ${waiting.length} Graphite events still waiting for a turn after ${this.#opts.timeout} ms; not sent`,
          );
          for (const job of waiting) job.resolve(false);
        }
        // those in flight end within their own timeout
        bound = setTimeout(done, this.#opts.timeout + 100);
        this.#pump();
      }, this.#opts.timeout + 100);
      const done = (): void => {
        clearTimeout(timer);
        clearTimeout(bound);
        resolve();
      };
      this.#idle.push(done);
    });
  }

  #pump(): void {
    if (this.pending === 0 && this.#idle.length > 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const fn of idle) fn();
      return;
    }
    while (this.#inFlight < CONCURRENCY && this.#queue.length > 0) {
      const job = this.#queue.shift() as Job;
      this.#inFlight++;
      this.#send(job).then(
        (ok) => {
          this.#inFlight--;
          job.resolve(ok);
          this.#pump();
        },
        () => {
          this.#inFlight--;
          job.resolve(false);
          this.#pump();
        },
      );
    }
  }

  async #send(job: Job): Promise<boolean> {
    const url = `${this.#opts.url}/events/`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.#opts.headers },
        body: job.body,
        signal: AbortSignal.timeout(this.#opts.timeout),
      });
      // drain the body so the connection can be reused
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return true;
      this.#fail(
        `statskit: Graphite event ${describe(job.what)}: ${url} answered HTTP ${res.status}; not stored`,
      );
      return false;
    } catch (err) {
      const why =
        err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
          ? `no answer within ${this.#opts.timeout} ms`
          : `${(err as { cause?: { code?: string } })?.cause?.code ?? (err instanceof Error ? err.message : String(err))}`;
      this.#fail(
        `statskit: Graphite event ${describe(job.what)}: POST ${url} failed (${why}); not stored`,
        err,
      );
      return false;
    }
  }

  #fail(message: string, cause?: unknown, code: ErrorCode = ErrorCodes.EVENT_FAILED): void {
    this.#report(new StatsError(code, message, cause === undefined ? undefined : { cause }));
  }
}
