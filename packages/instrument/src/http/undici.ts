import { type HttpCall, HttpClientStats, resolveHttpClientOptions } from './call-stats.js';
import { hostOfOrigin } from './host-key.js';
import type { Controller, LegacyHandler, ModernHandler } from './internal-types.js';
import type { HttpClientStatsOptions } from './types.js';

/** The part of undici's `DispatchOptions` the interceptor reads. */
export interface DispatchOptionsLike {
  /** Where the request goes. */
  readonly origin?: string | URL | undefined;
  /** The HTTP method. */
  readonly method: string;
}

/**
 * An undici interceptor: give it to `Dispatcher.compose()`. Generic so it fits undici 6 and 7 without
 * this package depending on either.
 */
export type StatsInterceptor = <O extends DispatchOptionsLike, H extends object>(
  dispatch: (options: O, handler: H) => boolean,
) => (options: O, handler: H) => boolean;

/**
 * Wraps a handler of undici 7's API: the call ends at `onResponseEnd` (the body was read to its end) or
 * `onResponseError`, recorded before the app's handler sees it.
 */
class ModernStatsHandler implements ModernHandler {
  readonly #h: ModernHandler;
  readonly #call: HttpCall;
  #status = 0;

  constructor(handler: ModernHandler, call: HttpCall) {
    this.#h = handler;
    this.#call = call;
  }

  onRequestStart(controller: Controller, context: unknown): void {
    this.#h.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Controller, statusCode: number, headers: unknown, socket: unknown): void {
    this.#call.ok(statusCode);
    this.#h.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(
    controller: Controller,
    statusCode: number,
    headers: unknown,
    statusMessage?: string,
  ): void {
    this.#status = statusCode;
    this.#h.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Controller, chunk: unknown): void {
    this.#h.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Controller, trailers: unknown): void {
    this.#call.ok(this.#status);
    this.#h.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Controller, error: unknown): void {
    this.#call.fail(error);
    if (typeof this.#h.onResponseError !== 'function') throw error;
    this.#h.onResponseError(controller, error);
  }
}

/** Wraps a handler of undici 6's API (`onConnect` … `onComplete`/`onError`). */
class LegacyStatsHandler implements LegacyHandler {
  readonly #h: LegacyHandler;
  readonly #call: HttpCall;
  #status = 0;

  constructor(handler: LegacyHandler, call: HttpCall) {
    this.#h = handler;
    this.#call = call;
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    this.#h.onConnect?.(abort, context);
  }

  onError(err: Error): void {
    this.#call.fail(err);
    if (typeof this.#h.onError !== 'function') throw err;
    this.#h.onError(err);
  }

  onUpgrade(statusCode: number, headers: unknown, socket: unknown): void {
    this.#call.ok(statusCode);
    this.#h.onUpgrade?.(statusCode, headers, socket);
  }

  onResponseStarted(): void {
    this.#h.onResponseStarted?.();
  }

  onHeaders(statusCode: number, headers: unknown, resume: () => void, statusText: string): boolean {
    this.#status = statusCode;
    return this.#h.onHeaders?.(statusCode, headers, resume, statusText) ?? true;
  }

  onData(chunk: unknown): boolean {
    return this.#h.onData?.(chunk) ?? true;
  }

  onComplete(trailers: unknown): void {
    this.#call.ok(this.#status);
    this.#h.onComplete?.(trailers);
  }

  onBodySent(chunkSize: number, totalBytesSent: number): void {
    this.#h.onBodySent?.(chunkSize, totalBytesSent);
  }

  onRequestSent(): void {
    this.#h.onRequestSent?.();
  }
}

/**
 * An undici interceptor that times every request to the end of its response body and counts statuses
 * and errors per host (docs/metrics.md, "Outbound HTTP").
 *
 * @deprecated Use `instrumentFetch`: it measures Node's built-in `fetch` and npm undici from
 * undici's diagnostics channels, with nothing between the app and its response. An interceptor needs
 * `Dispatcher#compose()`, and undici 7's compose converts the response headers on the way: Node 20/22's
 * built-in `fetch` (undici 6 inside) then gets repeated headers merged (two `Set-Cookie` → one
 * corrupted `a=1,b=2`), and so does npm undici's `request(..., { responseHeaders: 'raw' })`, even with
 * a do-nothing interceptor. It stays for code on npm undici 7's own `fetch`/`request` (parsed headers),
 * where responses are unchanged; never install it with `setGlobalDispatcher` (built-in `fetch` shares
 * the global dispatcher). Do not combine it with `instrumentFetch` (calls would be counted twice).
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { Agent, fetch } from 'undici';
 * import { statsInterceptor } from '@statskit/instrument';
 * const dispatcher = new Agent().compose(statsInterceptor({ stats }));
 * await fetch('https://api.example.com/users', { dispatcher }); // npm undici's fetch only
 * ```
 */
export function statsInterceptor(options: HttpClientStatsOptions): StatsInterceptor {
  const stats = new HttpClientStats(resolveHttpClientOptions(options, 'statsInterceptor'));
  return <O extends DispatchOptionsLike, H extends object>(dispatch: (options: O, handler: H) => boolean) =>
    function statsDispatch(opts: O, handler: H): boolean {
      const call = stats.begin(hostOfOrigin(opts.origin), opts.method);
      const wrapped =
        'onRequestStart' in handler || !('onConnect' in handler || 'onHeaders' in handler)
          ? new ModernStatsHandler(handler as ModernHandler, call)
          : new LegacyStatsHandler(handler as LegacyHandler, call);
      return dispatch(opts, wrapped as unknown as H);
    };
}
