import { type ClientOptions, InvalidOptionError, StatsClient } from '@statskit/client';
import type { Context } from 'koa';
import type { ExcludeOption, KeyFunction, StatsdMiddlewareOptions } from './types.js';

/*
 * Adapter-side option checks. They mirror @statskit/express's (same names, defaults and messages); the
 * adapters do not import each other, so this small piece is duplicated rather than shared.
 */

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

/** Decides, before routing, whether a request is left alone. */
export type Excluder = (ctx: Context) => boolean;

function pathOf(ctx: Context): string {
  const url = ctx.url;
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

function compileExclude(exclude: ExcludeOption): Excluder {
  if (typeof exclude === 'function') {
    return (ctx) => {
      try {
        return exclude(ctx) === true;
      } catch {
        return false; // a throwing predicate measures the request rather than breaking it
      }
    };
  }
  if (!Array.isArray(exclude)) fail('`exclude` must be an array of paths/RegExps or a function');
  const exact = new Set<string>();
  const prefixes: string[] = [];
  const regexps: RegExp[] = [];
  for (const e of exclude) {
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
  return (ctx) => {
    const path = pathOf(ctx);
    if (exact.has(path)) return true;
    for (const p of prefixes) if (path.startsWith(p)) return true;
    for (const re of regexps) if (re.test(path)) return true;
    return false;
  };
}

export interface ResolvedMiddlewareOptions {
  readonly client: StatsClient;
  readonly ownsClient: boolean;
  readonly exclude: Excluder | undefined;
  readonly skipMethods: ReadonlySet<string>;
  readonly key: KeyFunction | undefined;
  readonly context: boolean | 'auto';
}

/** Validate the adapter options (the recorder validates the rest). Throws InvalidOptionError. */
export function resolveMiddlewareOptions(options: StatsdMiddlewareOptions): ResolvedMiddlewareOptions {
  if (typeof options !== 'object' || options === null) fail('statsdMiddleware options must be an object');
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
  const close = (): void => {
    if (ownsClient) void client.close();
  };
  const skip = options.skipMethods ?? ['OPTIONS'];
  if (!Array.isArray(skip) || skip.some((m) => typeof m !== 'string')) {
    close();
    fail('`skipMethods` must be an array of method names');
  }
  const key = options.key;
  if (key !== undefined && typeof key !== 'function') {
    close();
    fail('`key` must be a function');
  }
  const context = options.context ?? 'auto';
  if (context !== 'auto' && typeof context !== 'boolean') {
    close();
    fail("`context` must be true, false or 'auto'");
  }
  let exclude: Excluder | undefined;
  try {
    exclude = options.exclude === undefined ? undefined : compileExclude(options.exclude);
  } catch (err) {
    close();
    throw err;
  }
  return {
    context,
    client,
    ownsClient,
    exclude,
    skipMethods: new Set(skip.map((m) => m.toUpperCase())),
    key,
  };
}
