import type { StatsClient } from '@statskit/client';
import { currentRequest, enableRequestContext, type RequestContext } from '../context.js';
import { Counter, SummedCounters } from '../counters.js';
import { encodeSegment } from '../route-key.js';
import { fail, isStatsClient, normalizeMethod, roundMs, statusStrings } from '../shared.js';
import { errorCode } from './error-code.js';
import { type HostEntry, type HostMatcher, HostTable } from './host-key.js';
import type { HttpClientErrorCode, HttpClientStatsMode, HttpClientStatsOptions } from './types.js';

/**
 * Internal: the metrics of outbound HTTP calls, shared by the undici interceptor, the diagnostics-channel
 * subscriber and the Agents. `begin()` at the start of a call, then exactly one of `ok(status)` (the
 * response body was read to its end) or `fail(err)`. Names and tagged clients are built the first time
 * a (host, method, status | error) is seen and cached; hosts are capped (see HostTable).
 */

const DEFAULT_MAX_HOSTS = 50;

/** Metric names relative to the prefix: names mode per host, tags mode fixed. */
export const httpClientMetricNames = {
  /** names mode: timer per host and method, to the end of the response body. */
  timer: (host: string, method: string): string => `${host}.${method}`,
  /** names mode: counter per host and status code or class. */
  status: (host: string, status: string): string => `${host}.response.${status}`,
  /** names mode: counter per host and error code. */
  error: (host: string, code: string): string => `${host}.errors.${code}`,
  /** tags mode: timer of every call that got a complete response. */
  request: 'request',
  /** tags mode: counter of failed calls. */
  errors: 'errors',
} as const;

/** Tag names of tags mode. */
export const httpClientTagNames = {
  /** The host called. */
  host: 'host',
  /** The HTTP method. */
  method: 'method',
  /** The response status code. */
  status: 'status',
  /** The status class (`2xx`). */
  statusClass: 'status_class',
  /** Why the call failed, when it did. */
  error: 'error',
} as const;

export interface ResolvedHttpClientOptions {
  readonly stats: StatsClient;
  readonly mode: HttpClientStatsMode;
  readonly statusCode: boolean;
  readonly statusClass: boolean;
  readonly maxHosts: number;
  readonly matcher: HostMatcher | undefined;
  readonly request: boolean;
  readonly counterInterval: number;
}

/** `http_client`, `my.http` → a child prefix; `''` → none. Each dot-separated piece sanitized. */
function encodePrefix(prefix: string): string {
  const pieces: string[] = [];
  for (const piece of prefix.split('.')) {
    const seg = encodeSegment(piece);
    if (seg !== '') pieces.push(seg);
  }
  return pieces.join('.');
}

/** Validate once; throws InvalidOptionError. */
export function resolveHttpClientOptions(
  options: HttpClientStatsOptions,
  what: string,
): ResolvedHttpClientOptions {
  if (typeof options !== 'object' || options === null) fail(`${what}: options must be an object`);
  if (!isStatsClient(options.stats)) fail(`${what}: option \`stats\` must be a StatsClient`);
  const mode = options.mode ?? 'names';
  if (mode !== 'names' && mode !== 'tags') fail(`${what}: \`mode\` must be 'names' or 'tags'`);
  const grouping = options.statusGrouping ?? 'both';
  if (grouping !== 'code' && grouping !== 'class' && grouping !== 'both') {
    fail(`${what}: \`statusGrouping\` must be 'code', 'class' or 'both'`);
  }
  const prefix = options.prefix ?? 'http_client';
  if (typeof prefix !== 'string') fail(`${what}: \`prefix\` must be a string`);
  const maxHosts = options.maxHosts ?? DEFAULT_MAX_HOSTS;
  if (typeof maxHosts !== 'number' || !Number.isInteger(maxHosts) || maxHosts < 0) {
    fail(`${what}: \`maxHosts\` must be a non-negative integer, got ${String(maxHosts)}`);
  }
  const request = options.request ?? true;
  if (typeof request !== 'boolean') fail(`${what}: \`request\` must be a boolean`);
  let matcher: HostMatcher | undefined;
  if (options.hosts !== undefined) {
    if (!Array.isArray(options.hosts)) fail(`${what}: \`hosts\` must be an array of strings and RegExps`);
    const names = new Set<string>();
    const patterns: RegExp[] = [];
    for (const h of options.hosts as readonly unknown[]) {
      if (typeof h === 'string') names.add(h.toLowerCase());
      else if (h instanceof RegExp) patterns.push(h);
      else fail(`${what}: \`hosts\` entries must be strings or RegExps`);
    }
    matcher = { names, patterns };
  }
  const counterInterval = options.counterInterval ?? 0;
  if (typeof counterInterval !== 'number' || !Number.isFinite(counterInterval) || counterInterval < 0) {
    fail(`${what}: \`counterInterval\` must be a number >= 0, got ${String(counterInterval)}`);
  }
  if (request) enableRequestContext();
  const p = encodePrefix(prefix);
  return {
    stats: p === '' ? options.stats : options.stats.child({ prefix: p }),
    mode,
    statusCode: grouping !== 'class',
    statusClass: grouping !== 'code',
    maxHosts,
    matcher,
    request,
    counterInterval,
  };
}

/** Per host and method: what one call needs to send its metrics. */
class MethodEntry {
  readonly #owner: HttpClientStats;
  readonly #host: HostNames;
  readonly method: string;
  /** names mode: timer name. */
  readonly timer: string;
  /** tags mode: tagged with host and method. */
  readonly client: StatsClient | undefined;
  readonly #byStatus = new Map<number, StatsClient>();
  readonly #byError = new Map<HttpClientErrorCode, StatsClient>();

  constructor(owner: HttpClientStats, host: HostNames, method: string) {
    this.#owner = owner;
    this.#host = host;
    this.method = method;
    this.timer = httpClientMetricNames.timer(host.key, method);
    this.client =
      owner.options.mode === 'tags'
        ? owner.options.stats.child({
            tags: { [httpClientTagNames.host]: host.key, [httpClientTagNames.method]: method },
          })
        : undefined;
  }

  ok(status: number, ms: number): void {
    const opts = this.#owner.options;
    if (this.client !== undefined) {
      let c = this.#byStatus.get(status);
      if (c === undefined) {
        const s = statusStrings(status);
        c = this.client.child({
          tags: { [httpClientTagNames.status]: s.code, [httpClientTagNames.statusClass]: s.cls },
        });
        if (this.#byStatus.size < 100) this.#byStatus.set(status, c);
      }
      c.timing(httpClientMetricNames.request, ms);
      return;
    }
    opts.stats.timing(this.timer, ms);
    const counters = this.#host.status(status);
    if (opts.statusCode) this.#owner.counters.count(counters.code);
    if (opts.statusClass) this.#owner.counters.count(counters.cls);
  }

  fail(code: HttpClientErrorCode): void {
    if (this.client !== undefined) {
      let c = this.#byError.get(code);
      if (c === undefined) {
        c = this.client.child({ tags: { [httpClientTagNames.error]: code } });
        this.#byError.set(code, c);
      }
      c.incr(httpClientMetricNames.errors);
      return;
    }
    this.#owner.options.stats.incr(this.#host.error(code));
  }
}

/** One host key: its methods and its names. */
class HostNames implements HostEntry {
  readonly key: string;
  readonly #owner: HttpClientStats;
  readonly #methods = new Map<string, MethodEntry>();
  readonly #status = new Map<number, { code: Counter; cls: Counter }>();
  readonly #errors = new Map<HttpClientErrorCode, string>();

  constructor(owner: HttpClientStats, key: string) {
    this.#owner = owner;
    this.key = key;
  }

  method(raw: string): MethodEntry {
    let m = this.#methods.get(raw);
    if (m === undefined) {
      const method = normalizeMethod(raw);
      m = this.#methods.get(method);
      if (m === undefined) {
        m = new MethodEntry(this.#owner, this, method);
        this.#methods.set(method, m);
      }
      if (this.#methods.size < 64) this.#methods.set(raw, m);
    }
    return m;
  }

  /** The summed counters of a status (names mode). */
  status(status: number): { code: Counter; cls: Counter } {
    let s = this.#status.get(status);
    if (s === undefined) {
      const str = statusStrings(status);
      const stats = this.#owner.options.stats;
      s = {
        code: new Counter(stats, httpClientMetricNames.status(this.key, str.code)),
        cls: new Counter(stats, httpClientMetricNames.status(this.key, str.cls)),
      };
      if (this.#status.size < 100) this.#status.set(status, s);
    }
    return s;
  }

  error(code: HttpClientErrorCode): string {
    let name = this.#errors.get(code);
    if (name === undefined) {
      name = httpClientMetricNames.error(this.key, code);
      this.#errors.set(code, name);
    }
    return name;
  }
}

/** One outbound call in flight. Ends once: later `ok`/`fail` calls are ignored. */
export class HttpCall {
  readonly #entry: MethodEntry;
  readonly #start: number;
  readonly #ctx: RequestContext | undefined;
  #done = false;

  constructor(entry: MethodEntry, ctx: RequestContext | undefined) {
    this.#entry = entry;
    this.#ctx = ctx;
    this.#start = performance.now();
  }

  /** True once the call was recorded. */
  get done(): boolean {
    return this.#done;
  }

  /** The call got a complete response with `status`. Returns the elapsed ms (or -1 if already ended). */
  ok(status: number): number {
    if (this.#done) return -1;
    this.#done = true;
    const ms = roundMs(performance.now() - this.#start);
    try {
      this.#entry.ok(status, ms);
      this.#ctx?.add('http', ms);
    } catch {
      // a metric call never throws into the app's HTTP stack
    }
    return ms;
  }

  /** The call failed with `err`. Returns the elapsed ms (or -1 if already ended). */
  fail(err: unknown): number {
    if (this.#done) return -1;
    this.#done = true;
    const ms = roundMs(performance.now() - this.#start);
    try {
      this.#entry.fail(errorCode(err));
      this.#ctx?.add('http', ms);
    } catch {
      // a metric call never throws into the app's HTTP stack
    }
    return ms;
  }
}

/** The metrics of one instrumentation (one host table). */
export class HttpClientStats {
  readonly options: ResolvedHttpClientOptions;
  readonly #hosts: HostTable<HostNames>;
  /** Status counters, summed (`counterInterval`). */
  readonly counters: SummedCounters;

  constructor(options: ResolvedHttpClientOptions) {
    this.options = options;
    this.counters = new SummedCounters(options.stats, options.counterInterval);
    this.#hosts = new HostTable(options.maxHosts, options.matcher, (key) => new HostNames(this, key));
  }

  /** Start timing a call to `host` (`name[:port]`) with `method`. */
  begin(host: string, method: string): HttpCall {
    const entry = this.#hosts.get(host).method(method);
    return new HttpCall(entry, this.options.request ? currentRequest() : undefined);
  }
}
