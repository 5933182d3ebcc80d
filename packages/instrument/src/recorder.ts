import type { MetricOptions, StatsClient, Tags } from '@statskit/client';
import { metricNames, tagNames } from './catalogue.js';
import { Counter, SummedCounters } from './counters.js';
import { type ResolvedRecorderOptions, resolveRecorderOptions } from './options.js';
import { encodeRouteKey, encodeSegment, OVERFLOW_ROUTE_KEY, UNMATCHED_ROUTE_KEY } from './route-key.js';
import { normalizeMethod, roundMs, type StatusStrings, statusStrings } from './shared.js';
import type { FinishedRequest, RequestRecorder, RequestRecorderOptions, RouteInfo } from './types.js';

/**
 * The hot path is `record()`: a few Map lookups to find names and clients built when a (route, method,
 * status) was first seen, then one client call per metric. Nothing is formatted or sanitized per request.
 */

/** Distinct raw methods cached per route (Node only accepts known methods, so this is never reached). */
const MAX_METHODS = 64;
/** Distinct context kinds given names; later kinds are not reported. */
const MAX_KINDS = 64;

interface KindNames {
  readonly count: string;
  readonly time: string;
}

/** A body size to report: a finite count >= 0 (whole bytes), else -1 (not reported). */
function bytesOf(n: number | undefined): number {
  return typeof n === 'number' && n >= 0 && n <= Number.MAX_SAFE_INTEGER ? Math.floor(n) : -1;
}

function callUserTags(fn: (route: RouteInfo) => Tags | undefined, route: RouteInfo): Tags | undefined {
  try {
    const tags = fn(route);
    return typeof tags === 'object' && tags !== null ? tags : undefined;
  } catch {
    return undefined;
  }
}

/** The code and class counters of one status. */
interface StatusCounters {
  readonly code: Counter;
  readonly cls: Counter;
}

/** Names mode: the status counters of one (route, method, status), per group. */
interface StatusRow {
  readonly route: readonly Counter[];
  readonly aggregate: readonly Counter[];
}

/** One (route, method): its client (route tags baked in), names and counters. */
class MethodEntry {
  /** Names mode: the client of per-route metrics. Tags mode: the client tagged with route and method. */
  readonly client: StatsClient;
  readonly method: string;
  readonly timer: string;
  readonly methodTimer: string;
  readonly errors: Counter;
  /** Names mode, `sizes`: per-route body-size names. */
  readonly requestBytes: string;
  readonly responseBytes: string;
  /** Names mode: per-route status counters. */
  readonly #status = new Map<number, StatusCounters>();
  /** Tags mode: one child per status (its tags formatted once) and its errors counter. */
  readonly #byStatus = new Map<number, { client: StatsClient; errors: Counter }>();
  /** Names mode: the status counters one request of a status counts, as the options say. */
  readonly #rows = new Map<number, StatusRow>();
  /** The row asked for last (most requests of a route have the status of the one before). */
  #lastStatus = -1;
  #lastRow: StatusRow | undefined;
  #lastTaggedStatus = -1;
  #lastTagged: { client: StatsClient; errors: Counter } | undefined;
  readonly #recorder: Recorder;
  readonly #route: RouteEntry;

  constructor(recorder: Recorder, route: RouteEntry, method: string) {
    this.#recorder = recorder;
    this.#route = route;
    this.method = method;
    this.timer = metricNames.routeTimer(route.key, method);
    this.methodTimer = metricNames.methodTimer(method);
    const opts = recorder.options;
    const userTags =
      opts.routeTags === undefined
        ? undefined
        : callUserTags(opts.routeTags, { key: route.key, template: route.template, method });
    let client = userTags === undefined ? recorder.client : recorder.client.child({ tags: userTags });
    if (opts.mode === 'tags') {
      const tags: Record<string, string> = { [tagNames.method]: method };
      if (opts.groups.route) tags[tagNames.route] = route.key;
      client = client.child({ tags });
    }
    this.client = client;
    this.errors = new Counter(client, metricNames.routeErrors(route.key));
    this.requestBytes = metricNames.routeRequestBytes(route.key);
    this.responseBytes = metricNames.routeResponseBytes(route.key);
  }

  /** Names mode: this route's counters for a status. */
  status(status: number): StatusCounters {
    let c = this.#status.get(status);
    if (c === undefined) {
      const str = this.#recorder.status(status);
      const key = this.#route.key;
      c = {
        code: new Counter(this.client, metricNames.routeStatus(key, str.code)),
        cls: new Counter(this.client, metricNames.routeStatus(key, str.cls)),
      };
      this.#status.set(status, c);
    }
    return c;
  }

  /**
   * Names mode: the counters a request of `status` counts, as the options say (this route's code and
   * class; the aggregate code and class). Built once per status; one lookup per request.
   */
  statusRow(status: number): StatusRow {
    const last = this.#lastRow;
    if (status === this.#lastStatus && last !== undefined) return last;
    let row = this.#rows.get(status);
    if (row === undefined) {
      const opts = this.#recorder.options;
      const route: Counter[] = [];
      const aggregate: Counter[] = [];
      if (opts.groups.route) {
        const rs = this.status(status);
        if (opts.statusCode) route.push(rs.code);
        if (opts.statusClass) route.push(rs.cls);
      }
      if (opts.groups.aggregate) {
        const as = this.#recorder.aggregateStatus(status);
        if (opts.statusCode) aggregate.push(as.code);
        if (opts.statusClass) aggregate.push(as.cls);
      }
      row = { route, aggregate };
      if (this.#rows.size < 1000) this.#rows.set(status, row);
    }
    this.#lastStatus = status;
    this.#lastRow = row;
    return row;
  }

  /** Tags mode: the client tagged with a status, and its errors counter. */
  tagged(status: number): { client: StatsClient; errors: Counter } {
    if (status === this.#lastTaggedStatus && this.#lastTagged !== undefined) return this.#lastTagged;
    const c = this.#taggedOf(status);
    this.#lastTaggedStatus = status;
    this.#lastTagged = c;
    return c;
  }

  #taggedOf(status: number): { client: StatsClient; errors: Counter } {
    let c = this.#byStatus.get(status);
    if (c === undefined) {
      const s = this.#recorder.status(status);
      const opts = this.#recorder.options;
      const tags: Record<string, string> = {};
      if (opts.statusCode) tags[tagNames.status] = s.code;
      if (opts.statusClass) tags[tagNames.statusClass] = s.cls;
      const client = this.client.child({ tags });
      c = { client, errors: new Counter(client, metricNames.errors) };
      this.#byStatus.set(status, c);
    }
    return c;
  }
}

/** One route key: its methods and its per-route names. */
class RouteEntry {
  readonly key: string;
  readonly template: string | undefined;
  readonly #methods = new Map<string, MethodEntry>();
  readonly #kinds = new Map<string, KindNames>();
  readonly #recorder: Recorder;

  constructor(recorder: Recorder, key: string, template: string | undefined) {
    this.#recorder = recorder;
    this.key = key;
    this.template = template;
  }

  #lastRaw = '';
  #lastMethod: MethodEntry | undefined;

  method(raw: string): MethodEntry {
    if (raw === this.#lastRaw && this.#lastMethod !== undefined) return this.#lastMethod;
    const m = this.#methodOf(raw);
    this.#lastRaw = raw;
    this.#lastMethod = m;
    return m;
  }

  #methodOf(raw: string): MethodEntry {
    let m = this.#methods.get(raw);
    if (m === undefined) {
      const method = normalizeMethod(raw);
      m = method === raw ? undefined : this.#methods.get(method);
      if (m === undefined) {
        m = new MethodEntry(this.#recorder, this, method);
        this.#methods.set(method, m);
      }
      if (this.#methods.size < MAX_METHODS) this.#methods.set(raw, m);
    }
    return m;
  }

  kind(kind: string): KindNames | undefined {
    let k = this.#kinds.get(kind);
    if (k === undefined) {
      const seg = this.#recorder.kindSegment(kind);
      if (seg === undefined) return undefined;
      k = {
        count: metricNames.routeKindCount(this.key, seg),
        time: metricNames.routeKindTime(this.key, seg),
      };
      this.#kinds.set(kind, k);
    }
    return k;
  }
}

class Recorder implements RequestRecorder {
  readonly options: ResolvedRecorderOptions;
  readonly client: StatsClient;
  readonly mode: ResolvedRecorderOptions['mode'];
  readonly #byTemplate = new Map<string, RouteEntry>();
  readonly #byKey = new Map<string, RouteEntry>();
  readonly #unmatched: RouteEntry;
  readonly #overflow: RouteEntry;
  readonly #status = new Map<number, StatusStrings>();
  readonly #statusCounters = new Map<number, StatusCounters>();
  readonly #kindSegments = new Map<string, string>();
  readonly #kindNames = new Map<string, KindNames>();
  readonly #errors: Counter;
  readonly #counters: SummedCounters;

  constructor(options: RequestRecorderOptions) {
    const opts = resolveRecorderOptions(options);
    this.options = opts;
    this.mode = opts.mode;
    const child: { prefix?: string; tags?: Tags } = {};
    if (opts.prefix !== '') child.prefix = opts.prefix;
    if (opts.tags !== undefined) child.tags = opts.tags;
    this.client = opts.client.child(child);
    // Summed counts are written whenever the client flushes or closes, and before the process exits:
    // closing the client alone loses nothing.
    this.#counters = new SummedCounters(this.client, opts.counterInterval);
    this.#errors = new Counter(this.client, metricNames.errors);
    this.#unmatched = new RouteEntry(this, UNMATCHED_ROUTE_KEY, undefined);
    this.#overflow = new RouteEntry(this, OVERFLOW_ROUTE_KEY, undefined);
  }

  routeKey(template: string | undefined): string {
    return this.#route(template).key;
  }

  record(req: FinishedRequest): void {
    try {
      this.#record(req);
    } catch {
      // A metric call never throws; the client reports its own problems to onError.
    }
  }

  flush(): void {
    this.#counters.flush();
  }

  #count(c: Counter, opts: MetricOptions | undefined): void {
    this.#counters.count(c, opts);
  }

  /** The template asked for last and its entry: most requests come from a few hot routes. */
  #lastTemplate: string | undefined = undefined;
  #lastRoute: RouteEntry | undefined = undefined;

  #record(req: FinishedRequest): void {
    const opts = this.options;
    const groups = opts.groups;
    const template = req.route;
    let route = this.#lastRoute;
    if (route === undefined || template !== this.#lastTemplate) {
      route = this.#route(template);
      this.#lastTemplate = template;
      this.#lastRoute = route;
    }
    const m = route.method(req.method);
    const ms = roundMs(req.durationMs);
    const status = req.status;
    const error = req.error;
    const failed = (error !== undefined && error !== null) || status >= 500;
    // The request's own tags (tagRequest()), on each of its metrics; usually none.
    const tags = req.tags;
    const call: MetricOptions | undefined = tags === undefined || tags === null ? undefined : { tags };
    // Body sizes (`sizes: true`), each only when the adapter knew it.
    const reqBytes = opts.sizes ? bytesOf(req.requestBytes) : -1;
    const resBytes = opts.sizes ? bytesOf(req.responseBytes) : -1;

    if (opts.mode === 'tags') {
      const t = m.tagged(status);
      if (groups.route || groups.aggregate) {
        t.client.timing(metricNames.request, ms, call);
        if (reqBytes >= 0) t.client.timing(metricNames.requestBytes, reqBytes, call);
        if (resBytes >= 0) t.client.timing(metricNames.responseBytes, resBytes, call);
      }
      if (groups.errors && failed) this.#count(t.errors, call);
    } else {
      const base = this.client;
      const counters = this.#counters;
      const row = m.statusRow(status);
      if (groups.route) {
        m.client.timing(m.timer, ms, call);
        if (reqBytes >= 0) m.client.timing(m.requestBytes, reqBytes, call);
        if (resBytes >= 0) m.client.timing(m.responseBytes, resBytes, call);
        counters.countAll(row.route, call);
      }
      if (groups.aggregate) {
        base.timing(metricNames.request, ms, call);
        base.timing(m.methodTimer, ms, call);
        if (reqBytes >= 0) base.timing(metricNames.requestBytes, reqBytes, call);
        if (resBytes >= 0) base.timing(metricNames.responseBytes, resBytes, call);
        counters.countAll(row.aggregate, call);
      }
      if (groups.errors && failed) {
        this.#count(this.#errors, call);
        if (groups.route) this.#count(m.errors, call);
      }
    }

    const ctx = req.context;
    if (groups.context && ctx !== undefined) {
      const totals = ctx.totals;
      for (let i = 0; i < totals.length; i++) {
        const t = totals[i];
        if (t === undefined || t.count === 0) continue;
        const time = roundMs(t.timeMs);
        if (opts.mode === 'tags') {
          const names = this.#kind(t.kind);
          if (names === undefined) continue;
          this.#sendCount(m.client, names.count, t.count, call);
          m.client.timing(names.time, time, call);
          continue;
        }
        if (groups.route) {
          const names = route.kind(t.kind);
          if (names !== undefined) {
            this.#sendCount(m.client, names.count, t.count, call);
            m.client.timing(names.time, time, call);
          }
        }
        if (groups.aggregate) {
          const names = this.#kind(t.kind);
          if (names !== undefined) {
            this.#sendCount(this.client, names.count, t.count, call);
            this.client.timing(names.time, time, call);
          }
        }
      }
    }
  }

  /** One per-request count, as the `countType` option says (`h` by default, in the client's dialect: see CountMetricType). */
  #sendCount(client: StatsClient, name: string, n: number, call: MetricOptions | undefined): void {
    const type = this.options.countType;
    if (type === 'ms') client.timing(name, n, call);
    else if (type === 'h') client.histogram(name, n, call);
    else client.distribution(name, n, call);
  }

  /** Code and class strings of a status, cached. */
  status(status: number): StatusStrings {
    let s = this.#status.get(status);
    if (s === undefined) {
      s = statusStrings(status);
      if (this.#status.size < 1000) this.#status.set(status, s);
    }
    return s;
  }

  /** A context kind as a name segment, or undefined once MAX_KINDS kinds have names. */
  kindSegment(kind: string): string | undefined {
    let seg = this.#kindSegments.get(kind);
    if (seg === undefined) {
      if (this.#kindSegments.size >= MAX_KINDS) return undefined;
      seg = encodeSegment(kind);
      if (seg === '') return undefined;
      this.#kindSegments.set(kind, seg);
    }
    return seg;
  }

  #kind(kind: string): KindNames | undefined {
    let k = this.#kindNames.get(kind);
    if (k === undefined) {
      const seg = this.kindSegment(kind);
      if (seg === undefined) return undefined;
      k = { count: metricNames.kindCount(seg), time: metricNames.kindTime(seg) };
      this.#kindNames.set(kind, k);
    }
    return k;
  }

  /** The aggregate code and class counters of a status. */
  aggregateStatus(status: number): StatusCounters {
    let s = this.#statusCounters.get(status);
    if (s === undefined) {
      const str = this.status(status);
      s = {
        code: new Counter(this.client, metricNames.status(str.code)),
        cls: new Counter(this.client, metricNames.status(str.cls)),
      };
      this.#statusCounters.set(status, s);
    }
    return s;
  }

  #route(template: string | undefined): RouteEntry {
    if (template === undefined) return this.#unmatched;
    const cached = this.#byTemplate.get(template);
    if (cached !== undefined) return cached;
    if (typeof template !== 'string') return this.#unmatched;
    const sep = this.options.routeSeparator;
    const encoded = encodeRouteKey(template);
    const key = sep === '.' ? encoded : encoded.split('.').join(sep);
    let entry = this.#byKey.get(key);
    if (entry === undefined) {
      if (this.#byKey.size >= this.options.maxRoutes) entry = this.#overflow;
      else {
        entry = new RouteEntry(this, key, template);
        this.#byKey.set(key, entry);
      }
    }
    // Several templates can share a key (`/a/:id` and `/a/:id/`); the template cache stays bounded too.
    if (this.#byTemplate.size < this.options.maxRoutes * 4) this.#byTemplate.set(template, entry);
    return entry;
  }
}

/**
 * The request recorder shared by every framework adapter: one finished request in, its metrics out
 * (docs/metrics.md). Names and child clients are built once per route, method and status and cached.
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { StatsClient } from '@statskit/client';
 * import { createRequestRecorder } from '@statskit/instrument';
 * const recorder = createRequestRecorder({ client: new StatsClient({ prefix: 'myapp' }) });
 * recorder.record({ method: 'GET', route: '/users/:id', status: 200, durationMs: 12.3 });
 * // myapp.http.view.users._id.GET:12.3|ms, myapp.http.view.users._id.response.200:1|c, ...
 * ```
 */
export function createRequestRecorder(options: RequestRecorderOptions): RequestRecorder {
  return new Recorder(options);
}
