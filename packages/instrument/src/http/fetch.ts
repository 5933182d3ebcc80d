import dc from 'node:diagnostics_channel';
import { type HttpCall, HttpClientStats, resolveHttpClientOptions } from './call-stats.js';
import { hostOfOrigin } from './host-key.js';
import type { HttpClientInstrumentation, HttpClientStatsOptions } from './types.js';

/**
 * The request channels every copy of undici publishes — the one bundled in Node (built-in `fetch`) and
 * the npm package (v6 and v7) alike — named the same, so one subscription sees them all. Messages are
 * published synchronously from undici's internal `Request`:
 *   create    when a dispatcher accepts the request (in the caller's async context)
 *   headers   when the response headers are parsed (each redirect hop is its own request)
 *   trailers  when the response body has been received to its end
 *   error     when the request fails, at any point (refused, reset, aborted, timed out)
 * Nothing is wrapped or patched: what the app gets back is untouched.
 */
const CREATE = 'undici:request:create';
const HEADERS = 'undici:request:headers';
const TRAILERS = 'undici:request:trailers';
const ERROR = 'undici:request:error';

/** The fields of undici's internal `Request` read here (the same in undici 6 and 7). */
interface UndiciRequest {
  readonly origin?: unknown;
  readonly method?: unknown;
  /** `'websocket'`, `'CONNECT'`, … for upgrades; `null` otherwise. */
  readonly upgrade?: unknown;
}
interface RequestMessage {
  readonly request: UndiciRequest;
}
interface HeadersMessage extends RequestMessage {
  readonly response: { readonly statusCode: number };
}
interface ErrorMessage extends RequestMessage {
  readonly error: unknown;
}

/** One `instrumentFetch()` call. */
class Subscriber {
  readonly stats: HttpClientStats;
  active = true;

  constructor(stats: HttpClientStats) {
    this.stats = stats;
  }
}

/**
 * One undici request in flight: the subscribers active when it was created (the array is never
 * mutated, so it is shared, not copied) and one call per subscriber.
 */
class FetchCall {
  readonly subscribers: readonly Subscriber[];
  readonly calls: HttpCall[];
  status = 0;

  constructor(subscribers: readonly Subscriber[], calls: HttpCall[]) {
    this.subscribers = subscribers;
    this.calls = calls;
  }
}

/** Active subscribers; replaced (copy on write) when one is added or removed. */
let subscribers: readonly Subscriber[] = [];
const inFlight = new WeakMap<object, FetchCall>();
let lastOrigin: unknown;
let lastHost = '';

function onCreate(message: unknown): void {
  try {
    const request = (message as RequestMessage).request;
    // A WebSocket handshake or a CONNECT tunnel (a proxy's): not a call, and undici 6 publishes no end
    // for upgrades.
    if ((request.upgrade !== null && request.upgrade !== undefined) || request.method === 'CONNECT') return;
    const subs = subscribers;
    if (subs.length === 0) return;
    // most calls go to the origin of the call before: skip parsing it (undici builds a new string each time)
    const origin = request.origin;
    if (origin !== lastOrigin || typeof origin !== 'string') {
      lastHost = hostOfOrigin(origin);
      lastOrigin = origin;
    }
    const host = lastHost;
    const method = request.method;
    const calls: HttpCall[] = [];
    for (let i = 0; i < subs.length; i++) {
      calls.push((subs[i] as Subscriber).stats.begin(host, typeof method === 'string' ? method : ''));
    }
    inFlight.set(request, new FetchCall(subs, calls));
  } catch {
    // never throw into undici
  }
}

function onHeaders(message: unknown): void {
  try {
    const m = message as HeadersMessage;
    const call = inFlight.get(m.request);
    if (call !== undefined) call.status = m.response.statusCode;
  } catch {
    // never throw into undici
  }
}

function onTrailers(message: unknown): void {
  try {
    const request = (message as RequestMessage).request;
    const call = inFlight.get(request);
    if (call === undefined) return;
    inFlight.delete(request);
    const { subscribers: subs, calls, status } = call;
    for (let i = 0; i < calls.length; i++) {
      if ((subs[i] as Subscriber).active) (calls[i] as HttpCall).ok(status);
    }
  } catch {
    // never throw into undici
  }
}

function onError(message: unknown): void {
  try {
    const m = message as ErrorMessage;
    const call = inFlight.get(m.request);
    if (call === undefined) return;
    inFlight.delete(m.request);
    const { subscribers: subs, calls } = call;
    for (let i = 0; i < calls.length; i++) {
      if ((subs[i] as Subscriber).active) (calls[i] as HttpCall).fail(m.error);
    }
  } catch {
    // never throw into undici
  }
}

function subscribeAll(): void {
  dc.subscribe(CREATE, onCreate);
  dc.subscribe(HEADERS, onHeaders);
  dc.subscribe(TRAILERS, onTrailers);
  dc.subscribe(ERROR, onError);
}

function unsubscribeAll(): void {
  dc.unsubscribe(CREATE, onCreate);
  dc.unsubscribe(HEADERS, onHeaders);
  dc.unsubscribe(TRAILERS, onTrailers);
  dc.unsubscribe(ERROR, onError);
}

/**
 * Measure every request made with `fetch` — Node's built-in one and npm undici's — and with npm undici's
 * `request`/`stream`/`pipeline`, through the `undici:request:*` diagnostics channels: no dispatcher to
 * install, nothing to `npm install`, nothing between the app and its response. Each call is timed to
 * the end of its response body; statuses and errors are counted per host (docs/metrics.md, "Outbound
 * HTTP"), and the time is added to the current request.
 *
 * Each redirect hop is its own call (a `302` is counted as one). A call whose body the app never reads
 * ends only if undici receives the body anyway; one the app cancels counts as `ABORTED`. WebSocket
 * handshakes and CONNECT tunnels are not counted. Several instrumentations (e.g. two clients) may be
 * installed; the channels are subscribed once, and released when the last one is uninstalled.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { instrumentFetch } from '@statskit/instrument';
 * const http = instrumentFetch({ stats });
 * await fetch('https://api.example.com/users'); // http_client.api_example_com.GET:42.1|ms, ...
 * http.uninstall(); // on shutdown, or in tests
 * ```
 */
export function instrumentFetch(options: HttpClientStatsOptions): HttpClientInstrumentation {
  const subscriber = new Subscriber(
    new HttpClientStats(resolveHttpClientOptions(options, 'instrumentFetch')),
  );
  if (subscribers.length === 0) subscribeAll();
  subscribers = [...subscribers, subscriber];
  return {
    uninstall(): void {
      if (!subscriber.active) return;
      subscriber.active = false;
      subscribers = subscribers.filter((s) => s !== subscriber);
      if (subscribers.length === 0) unsubscribeAll();
    },
  };
}
