import { type HttpCall, HttpClientStats, resolveHttpClientOptions } from './call-stats.js';
import { hostOfOrigin } from './host-key.js';
import type { Controller, LegacyHandler, ModernHandler } from './internal-types.js';
import type { HttpClientStatsOptions } from './types.js';

/** The part of undici's `DispatchOptions` the interceptor reads. */
export interface DispatchOptionsLike {
  readonly origin?: string | URL | undefined;
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
 * and errors per host (docs/metrics.md, "Outbound HTTP"). Compose it onto any undici 7 dispatcher and
 * pass that as `dispatcher` or install it with `setGlobalDispatcher` — Node's built-in `fetch` (undici 6
 * inside Node 20) uses it too. Responses and errors reach the app unchanged.
 *
 * Where it sits matters: composed last (outermost), it sees one call per `fetch` even across the retries
 * and redirects of interceptors composed before it; composed first, it sees every attempt.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { Agent, setGlobalDispatcher } from 'undici';
 * import { statsInterceptor } from '@statskit/instrument';
 * setGlobalDispatcher(new Agent().compose(statsInterceptor({ stats })));
 * await fetch('https://api.example.com/users'); // http_client.api_example_com.GET:42.1|ms, ...
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
