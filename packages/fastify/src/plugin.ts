import type { StatsClient, Tags } from '@statskit/client';
import {
  createAdapterRecorder,
  currentRequest,
  enableRequestContext,
  type FinishedRequest,
  KeyOverride,
  RequestContext,
  type RequestRecorder,
  type RouteInfo,
  requestContextEnabled,
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
import type { RouteStatsConfig, StatskitFastifyOptions } from './types.js';

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

/** `config.stats.name` (`users.show`) as a template whose key is that name. */
function nameTemplate(name: string): string {
  return `/${name.split('.').join('/')}`;
}

function mergeTags(a: Tags | undefined, b: Tags | undefined): Tags | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (Array.isArray(a) || Array.isArray(b)) {
    const list = (t: Tags): string[] =>
      Array.isArray(t) ? [...(t as readonly string[])] : Object.entries(t).map(([k, v]) => `${k}:${v}`);
    return [...list(a), ...list(b)];
  }
  return { ...(a as Record<string, string>), ...(b as Record<string, string>) };
}

class Measurer {
  readonly recorder: RequestRecorder;
  readonly options: ResolvedPluginOptions;
  readonly #keyOverride = new KeyOverride();

  constructor(options: ResolvedPluginOptions, recorder: RequestRecorder) {
    this.options = options;
    this.recorder = recorder;
  }

  finish(state: RequestState, request: FastifyRequest, reply: FastifyReply | undefined): void {
    state.done = true;
    state.durationMs = performance.now() - state.start;
    let route = state.settings === undefined ? fastifyTemplate(request) : state.settings.template;
    const key = this.options.key;
    if (key !== undefined && reply !== undefined)
      route = this.#keyOverride.apply(route, key, request, reply, route);
    state.route = route;
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

function validateRouteStats(url: string, stats: unknown): RouteStatsConfig | undefined {
  if (stats === undefined || stats === false) return stats;
  if (typeof stats !== 'object' || stats === null) {
    throw new TypeError(`statskit: route ${url}: \`config.stats\` must be false or { name, tags }`);
  }
  const { name, tags } = stats as { name?: unknown; tags?: unknown };
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new TypeError(`statskit: route ${url}: \`config.stats.name\` must be a non-empty string`);
  }
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) {
    throw new TypeError(`statskit: route ${url}: \`config.stats.tags\` must be an object or array`);
  }
  return stats as RouteStatsConfig;
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
  /** Tags from routes' `config.stats.tags`, by the template the recorder sees. */
  const routeConfigTags = new Map<string, Tags>();
  const userRouteTags = options.routeTags;
  const recorder = createAdapterRecorder(resolved, options, (route: RouteInfo) => {
    const own = route.template === undefined ? undefined : routeConfigTags.get(route.template);
    let user: Tags | undefined;
    if (userRouteTags !== undefined) {
      try {
        user = userRouteTags(route);
      } catch {
        user = undefined;
      }
    }
    return mergeTags(user, own);
  });
  const measurer = new Measurer(resolved, recorder);
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
    const config = validateRouteStats(url, (routeOptions.config as { stats?: unknown } | undefined)?.stats);
    const name = config === undefined || config === false ? undefined : config.name;
    const settings: RouteSettings = {
      template: name === undefined ? url : nameTemplate(name),
      skip: config === false,
    };
    if (config !== undefined && config !== false && config.tags !== undefined) {
      routeConfigTags.set(settings.template, config.tags);
    }
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
