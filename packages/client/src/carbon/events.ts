/**
 * Graphite events: `POST <graphite-web>/events/` with `{ what, tags, data, when }`, for deploy markers
 * drawn with `drawAsInfinite(events('deploy'))`. Bounded: at most `maxPending` events wait or are in
 * flight (4 at a time); more are dropped (`STATSKIT_ERR_QUEUE_FULL`). Each request has a timeout. A
 * failure (refused, timeout, HTTP error) goes to onError as `STATSKIT_ERR_EVENT_FAILED`; nothing throws.
 */

import { type ErrorCode, ErrorCodes, StatsError } from '../errors.js';
import { describe } from '../protocol/describe.js';
import type { ResolvedGraphiteWebOptions } from './options.js';

/** Options of `annotate()`. */
export interface AnnotateOptions {
  /** Event tags: words (`['deploy', 'api']`) or key/values (`{ service: 'api' }` → `service=api`). */
  readonly tags?: readonly string[] | Readonly<Record<string, string | number | boolean>> | undefined;
  /** Free text shown with the event (a version, a changelog link). */
  readonly data?: string | undefined;
  /** When it happened: a Date or Unix seconds. Default now. */
  readonly when?: Date | number | undefined;
}

/** At most this many requests in flight at once. */
const CONCURRENCY = 4;
/** Longest `what` / `data` sent, in characters. */
const MAX_TEXT = 4096;

/** A tag word: graphite-web splits tags on whitespace. */
function word(s: string): string {
  return s.replace(/\s+/g, '_');
}

function eventTags(tags: AnnotateOptions['tags']): string[] {
  if (tags === undefined || tags === null) return [];
  if (Array.isArray(tags)) return tags.filter((t) => typeof t === 'string' && t !== '').map(word);
  if (typeof tags === 'object') {
    const out: string[] = [];
    for (const [k, v] of Object.entries(tags)) {
      if (v === false || v === undefined || v === null) continue;
      out.push(v === true ? word(k) : `${word(k)}=${word(String(v))}`);
    }
    return out;
  }
  return [];
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
      const when = o.when instanceof Date ? o.when.getTime() / 1000 : o.when;
      body = JSON.stringify({
        what: what.slice(0, MAX_TEXT),
        tags: eventTags(o.tags),
        data: typeof o.data === 'string' ? o.data.slice(0, MAX_TEXT) : '',
        ...(typeof when === 'number' && Number.isFinite(when) ? { when: Math.floor(when) } : {}),
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

  /** Refuse new events; those pending still go. Resolves when none is pending (bounded by the timeout). */
  async close(): Promise<void> {
    this.#closed = true;
    const until = Date.now() + this.#opts.timeout + 100;
    while (this.pending > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10).unref());
  }

  #pump(): void {
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
