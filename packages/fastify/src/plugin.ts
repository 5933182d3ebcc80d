import type { ServerResponse } from 'node:http';
import type { StatsClient, Tags } from '@statskit/client';
import {
  countResponseBytes,
  createAdapterRecorder,
  currentRequest,
  enableRequestContext,
  type FinishedRequest,
  KeyOverride,
  mergeTags,
  RequestContext,
  type RequestRecorder,
  RouteTagsTable,
  requestBytes,
  requestContextEnabled,
  resolveRouteStats,
  responseBytes,
  runWithRequest,
} from '@statskit/instrument';
import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';
import fp from 'fastify-plugin';
import { type ResolvedPluginOptions, resolvePluginOptions } from './options.js';
import type { StatskitFastifyOptions } from './types.js';

/** The status of a request whose client went away before the response was complete (nginx's 499). */
export const CLIENT_CLOSED_REQUEST = 499;

/** Where a request's state lives: a request decorator, so every request has the same shape. */
const kState = Symbol('statskit.fastify.state');

type WithState = { [kState]: RequestState | null };

function stateOf(request: FastifyRequest): RequestState | null {
  return (request as unknown as WithState)[kState];
}

function setState(request: FastifyRequest, state: RequestState | null): void {
  (request as unknown as WithState)[kState] = state;
}

/** What statskit knows of one route, worked out once when the route is registered. */
interface RouteSettings {
  /** The template (with prefixes), or the route's `config.stats.name` written as a template. */
  readonly template: string;
  readonly skip: boolean;
}

/** One request being measured; also what the recorder receives. */
class RequestState implements FinishedRequest {
  readonly method: string;
  readonly start: number;
  route: string | undefined = undefined;
  status = 0;
  durationMs = 0;
  error: unknown = undefined;
  context: RequestContext | undefined = undefined;
  settings: RouteSettings | undefined = undefined;
  /** `sizes: true`: body sizes, read when the request finishes. */
  requestBytes: number | undefined = undefined;
  responseBytes: number | undefined = undefined;
  /** `tagRequest()`: this request's own tags. */
  tags: Tags | undefined = undefined;
  /** `sizes: true`: the response whose body bytes are counted. */
  raw: ServerResponse | undefined = undefined;
  /** Only kept when a `key` function needs it after an abort. */
  reply: FastifyReply | undefined = undefined;
  done = false;

  constructor(method: string, start: number) {
    this.method = method;
    this.start = start;
  }
}

/** The matched template when no route hook ran (routes added before the plugin): Fastify's own. */
function fastifyTemplate(request: FastifyRequest): string | undefined {
  const r = request as FastifyRequest & { routerPath?: string };
  // Fastify 5 and 4.10+: routeOptions.url (undefined for 404s); older 4.x: routerPath.
  const url = r.routeOptions?.url ?? r.routerPath;
  return typeof url === 'string' ? url : undefined;
}

class Measurer {
  readonly recorder: RequestRecorder;
  readonly options: ResolvedPluginOptions;
  readonly #keyOverride = new KeyOverride();
  readonly sizes: boolean;

  constructor(options: ResolvedPluginOptions, recorder: RequestRecorder, sizes: boolean) {
    this.options = options;
    this.recorder = recorder;
    this.sizes = sizes;
  }

  finish(state: RequestState, request: FastifyRequest, reply: FastifyReply | undefined): void {
    state.done = true;
    state.durationMs = performance.now() - state.start;
    let route = state.settings === undefined ? fastifyTemplate(request) : state.settings.template;
    const key = this.options.key;
    if (key !== undefined && reply !== undefined)
      route = this.#keyOverride.apply(route, key, request, reply, route);
    state.route = route;
    if (this.sizes) {
      state.requestBytes = requestBytes(request.raw);
      state.responseBytes = state.raw === undefined ? undefined : responseBytes(state.raw);
    }
    this.recorder.record(state);
  }

  /** A request that ended without a complete response: a timed 499. */
  abort(request: FastifyRequest): void {
    const state = stateOf(request);
    if (state === null || state.done) return;
    state.status = CLIENT_CLOSED_REQUEST;
    this.finish(state, request, state.reply);
  }
}

/**
 * Fastify plugin that reports every request the way django-statsd does: a timer and status counters
 * per route *template* (prefixes included) and method, aggregates, errors, and the request's
 * DB/HTTP-client totals. The catalogue is in docs/metrics.md. Works with Fastify 4 and 5.
 *
 * Decorates `fastify.stats` (the client) and `request.stats` (a child of it). A route's
 * `config: { stats: false }` leaves it unmeasured; `config: { stats: { name, tags } }` renames or tags it.
 *
 * @throws {InvalidOptionError} at registration, when an option is invalid.
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import statskit from '@statskit/fastify';
 *
 * const app = Fastify();
 * await app.register(statskit, { client: { prefix: 'shop' }, exclude: ['/healthz'] });
 * app.get('/users/:id', async (request) => ({ id: (request.params as { id: string }).id }));
 * // shop.http.view.users._id.GET:1.2|ms, shop.http.view.users._id.response.200:1|c, ...
 * ```
 *
 * Its `.name` is `statskit`; fastify-plugin's name (for `dependencies`) is `@statskit/fastify`.
 */
function statskit(
  fastify: FastifyInstance,
  options: StatskitFastifyOptions,
  done: (err?: Error) => void,
): void {
  try {
    setup(fastify, options);
  } catch (err) {
    // An invalid option fails `register()` (and `ready()`/`listen()`), as a plugin error should.
    done(err as Error);
    return;
  }
  done();
}

function setup(fastify: FastifyInstance, options: StatskitFastifyOptions): void {
  const resolved = resolvePluginOptions(options);
  const routeTags = new RouteTagsTable(options.routeTags);
  const recorder = createAdapterRecorder(resolved, options, routeTags.routeTags);
  const sizes = options.sizes === true;
  const measurer = new Measurer(resolved, recorder, sizes);
  const { exclude, skipMethods, context, key, client } = resolved;
  if (context === true) enableRequestContext();
  const stats: StatsClient = client.child({});

  fastify.decorate('stats', client);
  fastify.decorateRequest('stats', {
    getter(): StatsClient {
      return stats;
    },
  });
  fastify.decorateRequest(kState as unknown as string, null);

  fastify.addHook('onRoute', function statskitOnRoute(routeOptions: RouteOptions) {
    const url = routeOptions.url;
    const config = resolveRouteStats(
      `route ${url}`,
      (routeOptions.config as { stats?: unknown } | undefined)?.stats,
    );
    const settings: RouteSettings = { template: config.template ?? url, skip: config.skip };
    if (config.tags !== undefined) routeTags.set(settings.template, config.tags);
    function statskitRoute(
      request: FastifyRequest,
      _reply: FastifyReply,
      next: HookHandlerDoneFunction,
    ): void {
      const state = stateOf(request);
      if (state !== null) {
        if (settings.skip) setState(request, null);
        else state.settings = settings;
      }
      next();
    }
    const own = routeOptions.onRequest;
    routeOptions.onRequest =
      own === undefined ? [statskitRoute] : [statskitRoute, ...(Array.isArray(own) ? own : [own])];
  });

  // Fastify ≥ 4.21 reports aborted requests; older 4.x: the raw response's `close`.
  let abortHook = true;
  try {
    fastify.addHook('onRequestAbort', function statskitOnAbort(request, next) {
      measurer.abort(request);
      next();
    });
  } catch {
    abortHook = false;
  }

  fastify.addHook('onRequest', function statskitOnRequest(request, reply, next) {
    const method = request.method;
    if (skipMethods.has(method) || exclude?.(request) === true) {
      next();
      return;
    }
    const state = new RequestState(method, performance.now());
    setState(request, state);
    if (key !== undefined) state.reply = reply;
    if (sizes) {
      state.raw = reply.raw;
      countResponseBytes(reply.raw);
    }
    if (!abortHook) {
      reply.raw.once('close', () => {
        if (!reply.raw.writableEnded) measurer.abort(request);
      });
    }
    if (context !== false && requestContextEnabled()) {
      const ctx = new RequestContext();
      state.context = ctx;
      runWithRequest(ctx, next);
    } else next();
  });

  if (context !== false) {
    // Body parsing runs in the socket's async context: give the handler its request back.
    fastify.addHook('preHandler', function statskitPreHandler(request, _reply, next) {
      const ctx = stateOf(request)?.context;
      if (ctx !== undefined && currentRequest() !== ctx) runWithRequest(ctx, next);
      else next();
    });
  }

  fastify.addHook('onError', function statskitOnError(request, _reply, error, next) {
    const state = stateOf(request);
    if (state !== null && state.error === undefined) state.error = error;
    next();
  });

  fastify.addHook('onTimeout', function statskitOnTimeout(request, _reply, next) {
    measurer.abort(request);
    next();
  });

  fastify.addHook('onResponse', function statskitOnResponse(request, reply, next) {
    const state = stateOf(request);
    if (state !== null && !state.done) {
      state.status = reply.statusCode;
      measurer.finish(state, request, reply);
    }
    next();
  });

  fastify.addHook('onClose', function statskitOnClose(_instance, next) {
    recorder.flush();
    const closing = resolved.ownsClient ? client.close() : client.flush();
    closing.then(
      () => next(),
      () => next(),
    );
  });
}

// fastify-plugin's metadata (name, Fastify range, no encapsulation), set on the function in place.
fp(statskit, {
  name: '@statskit/fastify',
  fastify: '4.x || 5.x',
});

export { statskit };

/**
 * Tags for this request only, added to each of its request metrics (merged over earlier calls). Every
 * distinct value is a new series in the backend: use few values (a plan, a region), never ids. The tags
 * need a client whose `tagFormat` is not `'none'`. Does nothing for a request the plugin does not
 * measure; never throws.
 *
 * @example
 * ```ts
 * fastify.addHook('preHandler', async (request) => tagRequest(request, { plan: request.user.plan }));
 * ```
 */
export function tagRequest(request: FastifyRequest, tags: Tags): void {
  const state = typeof request === 'object' && request !== null ? stateOf(request) : null;
  if (state === null || state === undefined || typeof tags !== 'object' || tags === null) return;
  state.tags = mergeTags(state.tags, tags);
}
