import { type ClientOptions, InvalidOptionError, StatsClient } from '@statskit/client';
import { createRequestRecorder } from './recorder.js';
import type { RecorderMode, RequestRecorder, RequestRecorderOptions } from './types.js';

/**
 * The options every framework adapter (Express, Fastify, Koa) takes besides the recorder's, checked
 * the same way with the same messages. `Req` is what the framework hands a predicate (Express `req`,
 * Fastify `request`, Koa `ctx`); `Key` is the adapter's custom key function type.
 */
export interface AdapterOptions<Req, Key> {
  readonly client?: StatsClient | ClientOptions | undefined;
  readonly mode?: RecorderMode | undefined;
  readonly exclude?: readonly (string | RegExp)[] | ((req: Req) => boolean) | undefined;
  readonly skipMethods?: readonly string[] | undefined;
  readonly key?: Key | undefined;
  readonly context?: boolean | 'auto' | undefined;
}

/** The adapter options, checked once. */
export interface ResolvedAdapterOptions<Req, Key> {
  readonly client: StatsClient;
  /** True when the adapter created the client (and so closes it). */
  readonly ownsClient: boolean;
  /** Decides, before routing, whether a request is left alone. */
  readonly exclude: ((req: Req) => boolean) | undefined;
  /** Upper-cased. */
  readonly skipMethods: ReadonlySet<string>;
  readonly key: Key | undefined;
  readonly context: boolean | 'auto';
}

/** How an adapter reads a request for the option checks. */
export interface AdapterOptionsSpec<Req> {
  /** Names the adapter in the message for a non-object: `statsdMiddleware`, `statskit plugin`. */
  readonly what: string;
  /** The request's path without the query string. */
  readonly pathOf: (req: Req) => string;
}

function fail(message: string): never {
  throw new InvalidOptionError(`statskit: ${message}`);
}

/** Duck-typed, so a client from another copy of @statskit/client is accepted too. */
function isClient(v: unknown): v is StatsClient {
  if (v instanceof StatsClient) return true;
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c['child'] === 'function' && typeof c['timing'] === 'function' && typeof c['incr'] === 'function'
  );
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
  } else if (isClient(given)) client = given;
  else if (typeof given === 'object' && given !== null) {
    const clientOptions = given as ClientOptions;
    if (options.mode === 'tags' && clientOptions.tagFormat === 'none') {
      fail("mode 'tags' needs a client whose tagFormat is not 'none'");
    }
    client = new StatsClient(clientOptions);
    ownsClient = true;
  } else fail('`client` must be a StatsClient or client options');
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
      counterInterval: options.counterInterval,
      countType: options.countType,
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
