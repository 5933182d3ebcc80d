import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StatsClient, Tags } from '@statskit/client';
import {
  AdapterRequest,
  offServerRequest,
  onServerRequest,
  RequestAdapter,
  type RequestOwner,
  resolveRouteStats,
  tagState,
  trackedState,
} from '@statskit/instrument';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { KeyFunction, StatskitFastifyOptions } from './types.js';

const NO_ARGS: readonly unknown[] = [];

/**
 * One request being measured (the channel path). It carries only what that path needs: the hooks
 * path's `request`/`reply` live on {@link HookState}, so the common case initialises two fields fewer
 * per request.
 */
class RequestState extends AdapterRequest {
  template: string | undefined = undefined;

  /** What the `key` function gets before the route: nothing on the channel path (it has no key). */
  keyArgs(): readonly unknown[] {
    return NO_ARGS;
  }
}

/** A request started by the onRequest hook (an `exclude` or `key` function): `request`/`reply` kept. */
class HookState extends RequestState {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;

  constructor(owner: Plugin, request: FastifyRequest, reply: FastifyReply, start: number) {
    super(owner, request.method, start);
    this.request = request;
    this.reply = reply;
  }

  override keyArgs(): readonly unknown[] {
    return [this.request, this.reply];
  }
}

/** Fastify's own `register()` options, which reach the plugin with its options: not unknown keys. */
const REGISTER_KEYS: readonly string[] = ['logLevel', 'logSerializers'];

/** The matched template when no route of ours ran (routes added before the plugin): Fastify's own. */
function fastifyTemplate(request: FastifyRequest): string | undefined {
  const r = request as FastifyRequest & { routerPath?: string };
  const url = r.routeOptions?.url ?? r.routerPath; // Fastify 5 and 4.10+ ; older 4.x
  return typeof url === 'string' ? url : undefined;
}

/** Whether a route's method(s) may carry a body Fastify reads before the handler (not GET/HEAD/TRACE). */
function readsBody(method: string | readonly string[]): boolean {
  const list = typeof method === 'string' ? [method] : method;
  return list.some((m) => m !== 'GET' && m !== 'HEAD' && m !== 'TRACE');
}

function pathOf(request: { url: string }): string {
  const url = request.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

class Plugin implements RequestOwner<RequestState> {
  readonly adapter: RequestAdapter<FastifyRequest, KeyFunction>;

  constructor(options: StatskitFastifyOptions) {
    this.adapter = new RequestAdapter(options, { what: 'statskit plugin', pathOf, extraKeys: REGISTER_KEYS });
  }

  finished(state: RequestState, req: IncomingMessage, res: ServerResponse): void {
    this.adapter.record(state, state.template, req, res, state.keyArgs());
  }

  /** The channel path: a request starts when node:http emits it, before Fastify sees it. */
  readonly onServerRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? '';
    if (this.adapter.skips(method, req as unknown as FastifyRequest)) return;
    this.adapter.track(new RequestState(this, method, performance.now()), req, res);
  };
}

/**
 * Fastify plugin that reports every request the way django-statsd does: a timer and status counters
 * per route *template* (prefixes included) and method, aggregates, errors, and the request's
 * DB/HTTP-client totals. The catalogue is in docs/metrics.md. Works with Fastify 4 and 5.
 *
 * No request hooks: timing and status come from node:http's diagnostics channels, the route from
 * wrapping each route's handler when it is added (an `exclude` or `key` *function*, or a server that
 * publishes no channels, use an onRequest hook instead).
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

/**
 * The routes the app already has (`GET /users/:id`): added before the plugin, they are not seen by its
 * onRoute hook. Read once, at registration, from Fastify's route tree.
 */
function routesSoFar(fastify: FastifyInstance): string[] {
  let tree: string;
  try {
    tree = fastify.printRoutes({ commonPrefix: false });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const m of tree.matchAll(/(\S+) \(([A-Z, ]+)\)/g)) {
    const methods = (m[2] as string).split(', ').filter((x) => x !== 'HEAD');
    out.push(`${methods.join(',') || 'HEAD'} ${m[1] as string}`);
  }
  return out;
}

/** Routes added before the plugin are measured poorly: say so once (a `StatsKitWarning`). */
function warnLate(early: readonly string[], viaChannel: boolean): void {
  const shown = early.slice(0, 3).join(', ') + (early.length > 3 ? `, and ${early.length - 3} more` : '');
  process.emitWarning(
    `statskit: the statskit plugin was registered after ${early.length} route(s) (${shown}): ` +
      (viaChannel
        ? 'their requests are counted as __unmatched__ and their config.stats is not read. '
        : 'their config.stats is not read. ') +
      'Register it before the routes (await app.register(statskit, ...) first).',
    { type: 'StatsKitWarning', code: 'STATSKIT_REGISTERED_AFTER_ROUTES' },
  );
}

function setup(fastify: FastifyInstance, options: StatskitFastifyOptions): void {
  const early = routesSoFar(fastify);
  const plugin = new Plugin(options);
  const { adapter } = plugin;
  const stats: StatsClient = adapter.stats;
  fastify.decorate('stats', adapter.client);
  fastify.decorateRequest('stats', {
    getter(): StatsClient {
      return stats;
    },
  });

  const server = fastify.server;
  const viaChannel =
    typeof options.exclude !== 'function' &&
    adapter.key === undefined &&
    onServerRequest(server, plugin.onServerRequest);
  if (early.length > 0) warnLate(early, viaChannel);

  fastify.addHook('onRoute', function statskitOnRoute(routeOptions: RouteOptions) {
    const url = routeOptions.url;
    const config = resolveRouteStats(`route ${url}`, (routeOptions.config as { stats?: unknown })?.stats);
    const settings = { skip: config.skip, template: config.template ?? url, tags: config.tags };
    if (readsBody(routeOptions.method)) {
      // The handler runs only once the body is in: a client gone mid-upload would leave the request
      // without its route. For routes that take a body, the route is set as soon as it is matched.
      const known = function statskitRouteMatched(
        request: FastifyRequest,
        _reply: unknown,
        next: () => void,
      ) {
        const state = trackedState<RequestState>(request.raw);
        if (state !== undefined) state.routeStats ??= settings;
        next();
      };
      const own = routeOptions.onRequest;
      routeOptions.onRequest = (
        own === undefined ? [known] : Array.isArray(own) ? [known, ...own] : [known, own]
      ) as NonNullable<RouteOptions['onRequest']>;
    }
    const handler = routeOptions.handler as (this: unknown, ...args: unknown[]) => unknown;
    routeOptions.handler = function statskitHandler(this: unknown, request, reply) {
      let state = trackedState<RequestState>(request.raw);
      if (state === undefined) {
        // Not from a server channel: skipped, or `inject()` (no server), measured from here.
        if (!viaChannel || adapter.skips(request.method, request.raw as never))
          return handler.call(this, request, reply);
        state = new RequestState(plugin, request.method, performance.now());
        if (!adapter.trackUnseen(state, request.raw, reply.raw)) return handler.call(this, request, reply);
      }
      state.routeStats = settings;
      if (!adapter.wantsContext()) return handler.call(this, request, reply);
      return adapter.run(state, handler, this, [request, reply]);
    } as RouteOptions['handler'];
  });

  fastify.addHook('onError', function statskitOnError(request, _reply, error, next) {
    const state = trackedState<RequestState>(request.raw);
    if (state !== undefined) {
      state.fail(error);
      if (state.routeStats === undefined) state.template ??= fastifyTemplate(request);
    }
    next();
  });

  if (!viaChannel) {
    // Fallback: an onRequest hook starts the request (the finish channel or onResponse ends it).
    fastify.addHook('onRequest', function statskitOnRequest(request, reply, next) {
      if (!adapter.skips(request.method, request)) {
        const state = new HookState(plugin, request, reply, performance.now());
        state.template = fastifyTemplate(request);
        adapter.track(state, request.raw, reply.raw);
      }
      next();
    });
    fastify.addHook('onResponse', function statskitOnResponse(request, reply, next) {
      const state = trackedState<RequestState>(request.raw);
      if (state !== undefined && !state.done) {
        state.done = true;
        plugin.finished(state, request.raw, reply.raw);
      }
      next();
    });
  }

  fastify.addHook('onClose', function statskitOnClose(_instance, next) {
    if (viaChannel) offServerRequest(server, plugin.onServerRequest);
    adapter.close().then(
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
  if (typeof request !== 'object' || request === null) return;
  tagState(trackedState<RequestState>(request.raw), tags);
}
