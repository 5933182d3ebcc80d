import {
  type ClientOptions,
  STATS_CLIENT,
  StatsClient,
  type StatsClientHolder,
  type Tags,
  unknownOptionKeys,
} from '@statskit/client';
import { createRequestRecorder } from './recorder.js';
import { fail, isStatsClient } from './shared.js';
import type {
  CountMetricType,
  MetricGroup,
  RecorderMode,
  RequestRecorder,
  RequestRecorderOptions,
  RouteInfo,
  StatusGrouping,
} from './types.js';

/**
 * The options every framework adapter (Express, Fastify, Koa) takes, declared once: each adapter's
 * options type extends it. `Req` is what the framework hands a predicate (Express `req`, Fastify
 * `request`, Koa `ctx`); `Key` is the adapter's custom key function type. All optional.
 */
export interface AdapterOptions<Req, Key> {
  /**
   * A `StatsClient` to send through, or options to create one (default: `new StatsClient()`, i.e.
   * `STATSD_HOST`/`STATSD_PORT` or 127.0.0.1:8125). A client created here is closed when the adapter
   * closes; one you pass is only flushed. A hot-shots compat `StatsD` (`@statskit/client/hot-shots`)
   * is accepted too: the adapter sends through its `[STATS_CLIENT]`, on the same socket.
   */
  readonly client?: StatsClient | StatsClientHolder | ClientOptions | undefined;
  /** Prepended to every request metric, after the client's prefix. Default `'http'`; `''` for none. */
  readonly prefix?: string | undefined;
  /** `'names'` (default): route/method/status in the name. `'tags'`: as tags on stable names. */
  readonly mode?: RecorderMode | undefined;
  /** Metric groups to send: `route`, `aggregate`, `errors`, `context`. Default: all on. */
  readonly metrics?: Readonly<Partial<Record<MetricGroup, boolean>>> | undefined;
  /** Status counters by exact code, class (`2xx`) or both. Default `'both'`. */
  readonly statusGrouping?: StatusGrouping | undefined;
  /** Tags on every request metric. */
  readonly tags?: Tags | undefined;
  /** Extra tags per route, asked once per (route, method). */
  readonly routeTags?: ((route: RouteInfo) => Tags | undefined) | undefined;
  /** Requests not to measure (health checks): exact paths, `'/prefix/*'`, RegExps, or a predicate. */
  readonly exclude?: readonly (string | RegExp)[] | ((req: Req) => boolean) | undefined;
  /** Methods not to measure. Default `['OPTIONS']` (CORS preflights). */
  readonly skipMethods?: readonly string[] | undefined;
  /**
   * A custom route key: it returns a route *template* (encoded like any other, e.g. `/users/:id`) or
   * `undefined` to keep the default. Called once per request; the result must come from a small set or
   * it ends up in `__overflow__`.
   */
  readonly key?: Key | undefined;
  /** Most distinct route keys before new ones go to `__overflow__`. Default 1000. */
  readonly maxRoutes?: number | undefined;
  /**
   * What joins a route's path segments in its key: `'.'` (default, `users._id`) or `-`/`_` characters
   * (`'-'`: `users-_id`), which keep each route in one Graphite node so one glob selects every route.
   */
  readonly routeSeparator?: string | undefined;
  /**
   * Status and error counters are summed in process and sent once per this many ms (default `0`, each
   * count handed to the client at once, when the client aggregates — its default — else 1000). What is
   * pending is sent when the adapter closes.
   */
  readonly counterInterval?: number | undefined;
  /**
   * Run each request in a `@statskit/instrument` request context, so DB/cache/HTTP-client work is
   * attributed to it. `'auto'` (default): once anything uses contexts (an instrumentation is installed,
   * `enableRequestContext()` or `currentRequest()` was called). `true`: always (switches contexts on
   * for the process). `false`: never.
   */
  readonly context?: boolean | 'auto' | undefined;
  /**
   * Send request and response body sizes (`view.<route>.request.bytes`, `.response.bytes`, and overall;
   * docs/metrics.md): the request's `Content-Length`, the response body bytes written. Default `false`.
   */
  readonly sizes?: boolean | undefined;
  /**
   * The statsd type of the per-request DB/cache/HTTP counts (`<kind>.count`): `'h'` (default: a
   * histogram in the client's `server` dialect, `|ms` on etsy statsd, so a distribution on every
   * server), `'ms'` or `'d'`.
   */
  readonly countType?: CountMetricType | undefined;
}

/** The adapter options, checked once. */
export interface ResolvedAdapterOptions<Req, Key> {
  /** The client request metrics are sent through. */
  readonly client: StatsClient;
  /** True when the adapter created the client (and so closes it). */
  readonly ownsClient: boolean;
  /** Decides, before routing, whether a request is left alone. */
  readonly exclude: ((req: Req) => boolean) | undefined;
  /** Upper-cased. */
  readonly skipMethods: ReadonlySet<string>;
  /** The custom route key, if any. */
  readonly key: Key | undefined;
  /** Whether requests run in a request context (`'auto'`: once anything uses one). */
  readonly context: boolean | 'auto';
}

/** How an adapter reads a request for the option checks. */
export interface AdapterOptionsSpec<Req> {
  /** Names the adapter in messages (a non-object, an unknown key): `statsdMiddleware`, `statskit plugin`. */
  readonly what: string;
  /** The request's path without the query string. */
  readonly pathOf: (req: Req) => string;
  /**
   * Keys the adapter's options may carry besides {@link AdapterOptions}' own (Fastify's `register()`
   * options, such as `logLevel`, reach the plugin too). Any other key is reported as unknown.
   */
  readonly extraKeys?: readonly string[] | undefined;
}

/**
 * Every key of {@link AdapterOptions} (a `Record` over its keys, so adding an option without listing it
 * here does not compile); anything else is reported as unknown, with the closest key.
 */
const ADAPTER_OPTION_KEYS: readonly string[] = Object.keys({
  client: true,
  prefix: true,
  mode: true,
  metrics: true,
  statusGrouping: true,
  tags: true,
  routeTags: true,
  exclude: true,
  skipMethods: true,
  key: true,
  maxRoutes: true,
  routeSeparator: true,
  counterInterval: true,
  context: true,
  sizes: true,
  countType: true,
} satisfies Record<keyof AdapterOptions<unknown, unknown>, true>);

/**
 * Report the adapter's unknown option keys (`clinet`, `prefx`) once, with the
 * closest known key, where the client reports its own: its onError (default: a process warning), after
 * the registration returns. Client options given as `client: { ... }` are checked by the client itself.
 */
function reportUnknownKeys(options: object, spec: AdapterOptionsSpec<unknown>, client: StatsClient): void {
  const known =
    spec.extraKeys === undefined ? ADAPTER_OPTION_KEYS : [...ADAPTER_OPTION_KEYS, ...spec.extraKeys];
  const err = unknownOptionKeys(options, known, `${spec.what} option`);
  if (err !== undefined) {
    const report = (client as Partial<Pick<StatsClient, 'reportError'>>).reportError;
    if (typeof report === 'function') report.call(client, err);
    else process.emitWarning(err.message, { type: 'StatsKitWarning', code: err.code });
  }
}

/** The path `'/health'` matches `/health` and `/health/`; `'/internal/*'` everything below it too. */
function compileExclude<Req>(
  exclude: NonNullable<AdapterOptions<Req, unknown>['exclude']>,
  pathOf: (req: Req) => string,
): (req: Req) => boolean {
  if (typeof exclude === 'function') {
    return (req) => {
      try {
        return exclude(req) === true;
      } catch {
        return false; // a throwing predicate measures the request rather than breaking it
      }
    };
  }
  if (!Array.isArray(exclude)) fail('`exclude` must be an array of paths/RegExps or a function');
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const regexps: RegExp[] = [];
  for (const e of exclude as readonly unknown[]) {
    if (e instanceof RegExp) regexps.push(e);
    else if (typeof e === 'string' && e.startsWith('/')) {
      if (e.endsWith('/*')) {
        prefixes.push(e.slice(0, -1));
        exact.add(e.slice(0, -2) || '/');
      } else {
        exact.add(e);
        if (e.length > 1 && e.endsWith('/')) exact.add(e.slice(0, -1));
        else exact.add(`${e}/`);
      }
    } else fail(`\`exclude\` entries must be paths starting with '/' or RegExps, got ${String(e)}`);
  }
  return (req) => {
    const path = pathOf(req);
    if (exact.has(path)) return true;
    for (const p of prefixes) if (path.startsWith(p)) return true;
    for (const re of regexps) if (re.test(path)) return true;
    return false;
  };
}

/**
 * Check an adapter's own options (the recorder checks the rest) and create the client when given none
 * or client options. A client created here is closed again when a later option is invalid.
 * For adapter authors; the framework packages use it.
 * @throws {InvalidOptionError} when an option is invalid.
 */
export function resolveAdapterOptions<Req, Key>(
  options: AdapterOptions<Req, Key>,
  spec: AdapterOptionsSpec<Req>,
): ResolvedAdapterOptions<Req, Key> {
  if (typeof options !== 'object' || options === null) fail(`${spec.what} options must be an object`);
  const given = options.client;
  let client: StatsClient;
  let ownsClient = false;
  if (given === undefined) {
    client = new StatsClient();
    ownsClient = true;
  } else if (given instanceof StatsClient || isStatsClient(given)) client = given;
  else if (typeof given === 'object' && given !== null && STATS_CLIENT in given) {
    // the hot-shots compat StatsD: it runs on statskit's core, so its StatsClient sends on its socket
    client = (given as StatsClientHolder)[STATS_CLIENT];
  } else if (typeof given === 'object' && given !== null) {
    const clientOptions = given as ClientOptions;
    if (options.mode === 'tags' && clientOptions.tagFormat === 'none') {
      fail("mode 'tags' needs a client whose tagFormat is not 'none'");
    }
    client = new StatsClient(clientOptions);
    ownsClient = true;
  } else fail('`client` must be a StatsClient, a hot-shots compat StatsD or client options');
  try {
    const skip = options.skipMethods ?? ['OPTIONS'];
    if (!Array.isArray(skip) || skip.some((m) => typeof m !== 'string')) {
      fail('`skipMethods` must be an array of method names');
    }
    const key = options.key;
    if (key !== undefined && typeof key !== 'function') fail('`key` must be a function');
    const context = options.context ?? 'auto';
    if (context !== 'auto' && typeof context !== 'boolean') fail("`context` must be true, false or 'auto'");
    const exclude = options.exclude === undefined ? undefined : compileExclude(options.exclude, spec.pathOf);
    reportUnknownKeys(options, spec as AdapterOptionsSpec<unknown>, client);
    return {
      client,
      ownsClient,
      exclude,
      skipMethods: new Set((skip as readonly string[]).map((m) => m.toUpperCase())),
      key,
      context,
    };
  } catch (err) {
    if (ownsClient) void client.close();
    throw err;
  }
}

/** The recorder options an adapter passes through unchanged (all but `client`). */
export type AdapterRecorderOptions = Omit<RequestRecorderOptions, 'client'>;

/**
 * The adapter's recorder, on the resolved client, from the recorder options the user gave (`routeTags`
 * may be replaced, e.g. by Fastify's per-route config). A client the adapter created is closed again
 * when an option is invalid.
 * @throws {InvalidOptionError} when a recorder option is invalid.
 */
export function createAdapterRecorder(
  resolved: Pick<ResolvedAdapterOptions<unknown, unknown>, 'client' | 'ownsClient'>,
  options: AdapterRecorderOptions,
  routeTags: RequestRecorderOptions['routeTags'] = options.routeTags,
): RequestRecorder {
  try {
    return createRequestRecorder({
      client: resolved.client,
      prefix: options.prefix,
      mode: options.mode,
      metrics: options.metrics,
      statusGrouping: options.statusGrouping,
      tags: options.tags,
      routeTags,
      maxRoutes: options.maxRoutes,
      routeSeparator: options.routeSeparator,
      counterInterval: options.counterInterval,
      countType: options.countType,
      sizes: options.sizes,
    });
  } catch (err) {
    if (resolved.ownsClient) void resolved.client.close();
    throw err;
  }
}

/**
 * Applies an adapter's `key` option: the route key the function returns, or the default one when it
 * returns something else or throws (warned once per adapter, so a broken function cannot flood logs).
 */
export class KeyOverride {
  #warned = false;

  /** `fn(...args)` when it returns a string, else `route`. */
  apply<A extends unknown[]>(
    route: string | undefined,
    fn: (...args: A) => unknown,
    ...args: A
  ): string | undefined {
    try {
      const custom = fn(...args);
      return typeof custom === 'string' ? custom : route;
    } catch (err) {
      if (!this.#warned) {
        this.#warned = true;
        process.emitWarning(`statskit: the \`key\` function threw (${String(err)}); using the default key`, {
          type: 'StatsKitWarning',
        });
      }
      return route;
    }
  }
}

/**
 * Per-route settings, the same in every adapter (Fastify: the route's `config.stats`; Express and Koa:
 * `metrics.route(config)` placed on the route): `false` (or `{ skip: true }`) leaves the route
 * unmeasured; `name` reports it under that key instead of its template; `tags` are added to its metrics.
 */
export type RouteStatsConfig =
  | false
  | {
      /** The route key to report under (`users.show`): dot-separated segments, each cleaned like a template segment. */
      readonly name?: string | undefined;
      /** Extra tags on this route's metrics (on top of `routeTags`). */
      readonly tags?: Tags | undefined;
      /** `true`: leave the route unmeasured (as `false`). */
      readonly skip?: boolean | undefined;
    };

/** A route's settings, checked once: what the adapter applies to a request of the route. */
export interface ResolvedRouteStats {
  /** True: the route is not measured. */
  readonly skip: boolean;
  /** The template to report under (from `name`), or `undefined` for the route's own. */
  readonly template: string | undefined;
  /** Tags added to this route's metrics. */
  readonly tags: Tags | undefined;
}

/**
 * Check a route's {@link RouteStatsConfig} (`where` names it in the message) and resolve it.
 * @throws {InvalidOptionError} when it is malformed.
 */
export function resolveRouteStats(where: string, config: unknown): ResolvedRouteStats {
  if (config === undefined) return { skip: false, template: undefined, tags: undefined };
  if (config === false) return { skip: true, template: undefined, tags: undefined };
  if (typeof config !== 'object' || config === null) {
    fail(`${where}: \`config.stats\` must be false or { name, tags, skip }`);
  }
  const { name, tags, skip } = config as { name?: unknown; tags?: unknown; skip?: unknown };
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    fail(`${where}: \`config.stats.name\` must be a non-empty string`);
  }
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) {
    fail(`${where}: \`config.stats.tags\` must be an object or array`);
  }
  if (skip !== undefined && typeof skip !== 'boolean')
    fail(`${where}: \`config.stats.skip\` must be a boolean`);
  return {
    skip: skip === true,
    // `users.show` as a template whose key is that name
    template: name === undefined ? undefined : `/${(name as string).split('.').join('/')}`,
    tags: tags as Tags | undefined,
  };
}

/** Tags `b` over tags `a` (objects merged, later keys win; arrays or mixed: concatenated). */
export function mergeTags(a: Tags | undefined, b: Tags | undefined): Tags | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (Array.isArray(a) || Array.isArray(b)) {
    const list = (t: Tags): string[] =>
      Array.isArray(t) ? [...(t as readonly string[])] : Object.entries(t).map(([k, v]) => `${k}:${v}`);
    return [...list(a), ...list(b)];
  }
  return { ...(a as Record<string, string>), ...(b as Record<string, string>) };
}

/**
 * The tags of routes' settings, by the template the recorder sees, merged over the user's `routeTags`:
 * give {@link RouteTagsTable.routeTags} to {@link createAdapterRecorder}, and {@link RouteTagsTable.set}
 * a route's tags before its first request is recorded.
 */
export class RouteTagsTable {
  readonly #byTemplate = new Map<string, Tags>();
  readonly #user: ((route: RouteInfo) => Tags | undefined) | undefined;

  constructor(user: ((route: RouteInfo) => Tags | undefined) | undefined) {
    this.#user = user;
  }

  /** Tags for the routes reported under `template` (the first setting wins; bounded). */
  set(template: string, tags: Tags): void {
    if (!this.#byTemplate.has(template) && this.#byTemplate.size < 10_000)
      this.#byTemplate.set(template, tags);
  }

  /** The tags of a route: those `set()` for its template over those of the user's `routeTags` option. */
  readonly routeTags = (route: RouteInfo): Tags | undefined => {
    const own = route.template === undefined ? undefined : this.#byTemplate.get(route.template);
    let user: Tags | undefined;
    if (this.#user !== undefined) {
      try {
        user = this.#user(route);
      } catch {
        user = undefined;
      }
    }
    return mergeTags(user, own);
  };
}
