import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsClient, Tags } from '@statskit/client';
import {
  type AdapterOptions,
  type AdapterOptionsSpec,
  createAdapterRecorder,
  KeyOverride,
  mergeTags,
  type ResolvedRouteStats,
  type RouteStatsConfig,
  RouteTagsTable,
  resolveAdapterOptions,
} from './adapter-options.js';
import { countResponseBytes, requestBytes, responseBytes } from './body-size.js';
import { enableRequestContext, RequestContext, requestContextEnabled, runWithRequest } from './context.js';
import {
  type RequestOwner,
  type TrackedRequest,
  trackRequest,
  trackResponse,
  useFinishChannel,
  useStartChannel,
} from './server-channels.js';
import type { FinishedRequest, RequestRecorder } from './types.js';

/**
 * The skeleton the framework adapters share: a request's state, the options and recorder, finishing
 * and recording a request, the request-context branch and `close()`. An adapter only finds, in its
 * framework, the route template, errors and per-route settings, and says when a request starts.
 */

/** The status of a request whose client went away before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * One request being measured: also what the recorder receives (`FinishedRequest`), so finishing a
 * request allocates nothing more. Adapters extend it with what their framework needs.
 */
export class AdapterRequest implements FinishedRequest, TrackedRequest {
  /** The adapter that finishes this request (called once, from the server channels or a fallback). */
  readonly owner: RequestOwner<never>;
  readonly method: string;
  /** `performance.now()` when the request started. */
  readonly start: number;
  route: string | undefined = undefined;
  status = 0;
  durationMs = 0;
  error: unknown = undefined;
  /** Set when request contexts are on. */
  context: RequestContext | undefined = undefined;
  /** `sizes: true`: body sizes, read when the request finishes. */
  requestBytes: number | undefined = undefined;
  responseBytes: number | undefined = undefined;
  /** `tagRequest()`: this request's own tags. */
  tags: Tags | undefined = undefined;
  /** The settings of the route that handled the request (Fastify `config.stats`, `metrics.route()`). */
  routeStats: ResolvedRouteStats | undefined = undefined;
  /** Set once the request has been finished (recorded or skipped): it is never finished twice. */
  done = false;
  /** Set when the finish channel reported the response sent in full (then its status is final). */
  responded = false;

  constructor(owner: RequestOwner<never>, method: string, start: number) {
    this.owner = owner;
    this.method = method;
    this.start = start;
  }

  /** Remember the first real error (a falsy throw becomes an Error, so it still counts). */
  fail(err: unknown): void {
    if (this.error === undefined) this.error = err ?? new Error('statskit: a falsy value was thrown');
  }
}

/** What Express's and Koa's `statsdMiddleware()` return besides the middleware itself. */
export interface AdapterMiddlewareApi<Handler> {
  /** The client metrics go through (yours, or the one created from client options). */
  readonly client: StatsClient;
  /** The shared request recorder. */
  readonly recorder: RequestRecorder;
  /**
   * Per-route settings, as a middleware on the route: `false` / `{ skip: true }` (not measured),
   * `{ name }` (reported under that key), `{ tags }` (added to the route's metrics).
   */
  route(config: RouteStatsConfig): Handler;
  /**
   * Send the summed counters, then close the client if the middleware created it, else flush it. Call
   * it on shutdown (before closing your client) so the last counter interval is not lost.
   */
  close(): Promise<void>;
}

/** `tagRequest()` for every adapter: merge `tags` into the request's own, ignoring bad input. */
export function tagState(state: AdapterRequest | undefined | null, tags: Tags): void {
  if (state === undefined || state === null || typeof tags !== 'object' || tags === null) return;
  state.tags = mergeTags(state.tags, tags);
}

function callIn<A extends unknown[], R>(fn: (...args: A) => R, self: unknown, args: A): R {
  return Reflect.apply(fn, self, args) as R;
}

/**
 * The options, recorder and per-request steps of one adapter instance. `Req` is what the framework
 * hands predicates; `Key` its key function.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 */
export class RequestAdapter<Req, Key> {
  /** The client request metrics go through (yours, or one created from client options). */
  readonly client: StatsClient;
  /** What `req.stats` / `request.stats` / `ctx.stats` is: a child of {@link client}. */
  readonly stats: StatsClient;
  /** Turns finished requests into metrics. */
  readonly recorder: RequestRecorder;
  /** Tags per route (the `routeTags` option and per-route settings), asked once per route and method. */
  readonly routeTags: RouteTagsTable;
  /** Whether the adapter created {@link client} (then `close()` closes it; otherwise only flushes). */
  readonly ownsClient: boolean;
  /** Upper-case methods that are not measured (`skipMethods`). */
  readonly skipMethods: ReadonlySet<string>;
  /** The `exclude` option as one predicate, or undefined when nothing is excluded. */
  readonly exclude: ((req: Req) => boolean) | undefined;
  /** The `key` option: a custom route key per request. */
  readonly key: Key | undefined;
  /** The `context` option: run requests in a request context (`'auto'`, `true`, `false`). */
  readonly context: boolean | 'auto';
  /** The `sizes` option: report request and response body sizes. */
  readonly sizes: boolean;
  readonly #keyOverride = new KeyOverride();
  readonly #release: () => void;
  #releaseStart: (() => void) | undefined;

  constructor(options: AdapterOptions<Req, Key>, spec: AdapterOptionsSpec<Req>) {
    const resolved = resolveAdapterOptions(options, spec);
    this.routeTags = new RouteTagsTable(options.routeTags);
    this.recorder = createAdapterRecorder(resolved, options, this.routeTags.routeTags);
    this.client = resolved.client;
    this.ownsClient = resolved.ownsClient;
    this.skipMethods = resolved.skipMethods;
    this.exclude = resolved.exclude;
    this.key = resolved.key;
    this.context = resolved.context;
    this.sizes = options.sizes === true;
    if (this.context === true) enableRequestContext();
    this.stats = this.client.child({});
    this.#release = useFinishChannel();
  }

  /**
   * Hold the `http.server.request.start` channel for every server until {@link close}: requests then
   * carry their start time ({@link requestStart}) and a state slot from the moment node:http emits them
   * (for adapters that find their requests in middleware, after the framework reshaped `req`).
   */
  useStartChannel(): void {
    this.#releaseStart ??= useStartChannel();
  }

  /** Whether the request is left alone: a skipped method or an excluded path. */
  skips(method: string, req: Req): boolean {
    return this.skipMethods.has(method) || this.exclude?.(req) === true;
  }

  /**
   * Follow a request until it finishes or its client goes away (no listener per request). False when
   * another statskit middleware or plugin already measures it: the first one does, this one leaves the
   * request alone (warned once per adapter).
   */
  track(state: AdapterRequest, req: IncomingMessage, res: ServerResponse): boolean {
    if (!trackRequest(req, res, state)) return this.#measuredElsewhere();
    if (this.sizes) countResponseBytes(res);
    return true;
  }

  /** {@link track} for a request no server channel reports (`inject()`): listens on its response. */
  trackUnseen(state: AdapterRequest, req: IncomingMessage, res: ServerResponse): boolean {
    if (!trackResponse(req, res, state)) return this.#measuredElsewhere();
    if (this.sizes) countResponseBytes(res);
    return true;
  }

  #warnedTwice = false;

  #measuredElsewhere(): false {
    if (!this.#warnedTwice) {
      this.#warnedTwice = true;
      process.emitWarning(
        'statskit: a request reached a second statskit middleware/plugin; only the first one measures it ' +
          '(use one per app, or child clients for more prefixes)',
        { type: 'StatsKitWarning', code: 'STATSKIT_SECOND_MIDDLEWARE' },
      );
    }
    return false;
  }

  /** Whether requests run in a request context now (the `context` option, and contexts switched on). */
  wantsContext(): boolean {
    return this.context !== false && requestContextEnabled();
  }

  /** `fn.apply(self, args)`, in a new request context when contexts are on. */
  run<A extends unknown[], R>(state: AdapterRequest, fn: (...args: A) => R, self: unknown, args: A): R {
    if (!this.wantsContext()) return Reflect.apply(fn, self, args) as R;
    const ctx = new RequestContext();
    state.context = ctx;
    return runWithRequest(ctx, callIn, fn, self, args) as R;
  }

  /** The status the client got: what was sent, a 500 for an error with nothing sent, else a 499. */
  statusOf(state: AdapterRequest, res: ServerResponse): number {
    if (state.responded || res.writableEnded) return res.statusCode;
    if (state.error !== undefined) return res.headersSent ? res.statusCode : 500;
    return CLIENT_CLOSED_REQUEST;
  }

  /**
   * Record a finished request: `template` is the matched route (a route's `name` setting wins), `keyArgs`
   * what the `key` function gets before the route. Routes set to skip record nothing.
   */
  record(
    state: AdapterRequest,
    template: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
    keyArgs: readonly unknown[],
  ): void {
    const settings = state.routeStats;
    if (settings?.skip === true) return;
    state.durationMs = performance.now() - state.start;
    state.status = this.statusOf(state, res);
    let route = settings?.template ?? template;
    const key = this.key as ((...args: unknown[]) => unknown) | undefined;
    if (key !== undefined) route = this.#keyOverride.apply(route, key, ...keyArgs, route);
    state.route = route;
    if (settings?.tags !== undefined && route !== undefined) this.routeTags.set(route, settings.tags);
    if (this.sizes) {
      state.requestBytes = requestBytes(req);
      state.responseBytes = responseBytes(res);
    }
    this.recorder.record(state);
  }

  /**
   * `fn` named `statsdMiddleware` (in `app.router.stack`, stack traces and profiles: a nested function
   * of that name would be renamed by the bundler) with the {@link AdapterMiddlewareApi} on it.
   */
  middleware<F extends object, H>(
    fn: F,
    route: (config: RouteStatsConfig) => H,
  ): F & AdapterMiddlewareApi<H> {
    Object.defineProperty(fn, 'name', { value: 'statsdMiddleware' });
    return Object.assign(fn, {
      client: this.client,
      recorder: this.recorder,
      route,
      close: (): Promise<void> => this.close(),
    });
  }

  /** Send the summed counters, then close the client if the adapter created it, else flush it. */
  close(): Promise<void> {
    this.#release();
    this.#releaseStart?.();
    this.recorder.flush();
    return this.ownsClient ? this.client.close() : this.client.flush();
  }
}
