/**
 * The request-metrics scenarios every framework adapter must pass (Express now; Fastify and Koa reuse the
 * table). Framework-neutral: a scenario lists routes (mounts, method, template, behaviour), the requests
 * to send over real HTTP, and the catalogue entries (docs/metrics.md) that must be sent — names relative
 * to the middleware prefix (`http.` by default).
 *
 * An adapter test builds an app from `routes` (mounting routers for `mounts`), runs the requests with
 * {@link runRequests}, waits for {@link measuredRequests} `request` timers, then asserts
 * `verifyScenario(scenario, metrics)` is empty.
 */
import type { ParsedMetric } from '@statskit/client';
import { currentRequest, type RouteStatsConfig } from '@statskit/instrument';

/** What a route handler does. */
export type Behavior =
  /** Answer with `status` (default 200) and a small body. */
  | { readonly kind: 'ok'; readonly status?: number }
  /** Throw synchronously. */
  | { readonly kind: 'throw' }
  /** Pass an error on the framework's way (`next(err)` in Express). */
  | { readonly kind: 'next-error' }
  /** An async handler whose promise rejects. */
  | { readonly kind: 'reject' }
  /** Throw an error with `status` / `statusCode` set. */
  | { readonly kind: 'error-status'; readonly status: number }
  /** Never answer: call `hooks.waiting()` and wait for the client to go away. */
  | { readonly kind: 'wait' }
  /** Add to the request context (`currentRequest()?.add(kind, ms)`), after an await, then answer 200. */
  | { readonly kind: 'context'; readonly add: readonly (readonly [string, number])[] }
  /** Tag the request (the adapter's `tagRequest()`), then answer 200 `ok`. */
  | { readonly kind: 'tag'; readonly tags: Readonly<Record<string, string>> };

export interface ScenarioRoute {
  /** Routers to nest the route in, outermost first (`['/api', '/v1']`); `[]` for the app itself. */
  readonly mounts: readonly string[];
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The route template, relative to the innermost mount (`:name` parameters only). */
  readonly path: string;
  readonly behavior: Behavior;
  /** Per-route settings: Fastify's `config.stats`, Express's and Koa's `metrics.route()` on the route. */
  readonly stats?: RouteStatsConfig;
}

export interface ScenarioRequest {
  readonly method?: string;
  /** The path, or a function of the request's index (for many distinct URLs). */
  readonly path: string | ((i: number) => string);
  /** How many times (default 1). */
  readonly times?: number;
  /** Abort with an AbortController once the handler is waiting (behaviour `wait`). */
  readonly abort?: boolean;
  /** Not measured (excluded or skipped): not counted by {@link measuredRequests}. */
  readonly unmeasured?: boolean;
  /** A request body (sent with `Content-Length`). */
  readonly body?: string;
}

/** One catalogue entry the scenario must produce. */
export interface ExpectedMetric {
  /** Relative to the middleware prefix: `view.users._id.GET`. */
  readonly name: string;
  readonly type: ParsedMetric['type'];
  /**
   * Timers and histograms: exactly this many lines. Counters: this total (the values summed, as statsd
   * does: the recorder sums counts in process and may send them as fewer lines).
   */
  readonly count: number;
  /** Every line has this value (timers and histograms). */
  readonly value?: number;
  /** Every counted line has these tags (subset match). */
  readonly tags?: Readonly<Record<string, string>>;
}

/** Middleware options shared by every adapter. */
export interface ScenarioOptions {
  readonly mode?: 'names' | 'tags';
  /** Run requests in a request context from the first request on (`enableRequestContext()`). */
  readonly context?: boolean;
  readonly exclude?: readonly string[];
  /** Body-size metrics. */
  readonly sizes?: boolean;
}

export interface Scenario {
  readonly name: string;
  readonly routes: readonly ScenarioRoute[];
  readonly requests: readonly ScenarioRequest[];
  readonly options?: ScenarioOptions;
  readonly expect: readonly ExpectedMetric[];
  /** Names mode: the only route keys that may appear in `view.<key>.<METHOD>` timers. */
  readonly routeKeys?: readonly string[];
  /** The only metric names (relative) that may appear at all. */
  readonly onlyNames?: readonly string[];
  /** Needs async handlers whose rejection the framework handles (not Express 4). */
  readonly asyncErrors?: boolean;
}

/** Hooks a `wait` handler calls. */
export interface ScenarioHooks {
  waiting(): void;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'OTHER'];

function randomSegment(i: number): string {
  return `${i.toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

/** Name and type lines for a request that answered `status` on route `key` (names mode, both groupings). */
function answered(key: string, method: string, status: number, n: number): ExpectedMetric[] {
  const cls = `${Math.floor(status / 100)}xx`;
  return [
    { name: `view.${key}.${method}`, type: 'ms', count: n },
    { name: `view.${key}.response.${status}`, type: 'c', count: n },
    { name: `view.${key}.response.${cls}`, type: 'c', count: n },
    { name: `view.${method}`, type: 'ms', count: n },
    { name: 'request', type: 'ms', count: n },
    { name: `response.${status}`, type: 'c', count: n },
    { name: `response.${cls}`, type: 'c', count: n },
  ];
}

function failed(key: string, n: number): ExpectedMetric[] {
  return [
    { name: 'errors', type: 'c', count: n },
    { name: `view.${key}.errors`, type: 'c', count: n },
  ];
}

const ok: Behavior = { kind: 'ok' };

export const scenarios: readonly Scenario[] = [
  {
    name: 'one key for a parameterised route, whatever the ids',
    routes: [{ mounts: [], method: 'GET', path: '/users/:id', behavior: ok }],
    requests: [{ path: (i) => `/users/${randomSegment(i)}`, times: 50 }],
    expect: [...answered('users._id', 'GET', 200, 50), { name: 'errors', type: 'c', count: 0 }],
    routeKeys: ['users._id'],
  },
  {
    name: 'nested routers: /api + /v1 + /users/:id',
    routes: [{ mounts: ['/api', '/v1'], method: 'GET', path: '/users/:id', behavior: ok }],
    requests: [{ path: (i) => `/api/v1/users/${i}`, times: 10 }],
    expect: answered('api.v1.users._id', 'GET', 200, 10),
    routeKeys: ['api.v1.users._id'],
  },
  {
    name: 'a mount path with a parameter keeps the parameter name',
    routes: [{ mounts: ['/tenants/:tenant'], method: 'GET', path: '/items/:item', behavior: ok }],
    requests: [{ path: (i) => `/tenants/t${i % 3}/items/${i}`, times: 9 }],
    expect: answered('tenants._tenant.items._item', 'GET', 200, 9),
    routeKeys: ['tenants._tenant.items._item'],
  },
  {
    name: 'the root route is `root`',
    routes: [{ mounts: [], method: 'GET', path: '/', behavior: ok }],
    requests: [{ path: '/', times: 3 }],
    expect: answered('root', 'GET', 200, 3),
    routeKeys: ['root'],
  },
  {
    name: 'a 404 flood shares the one unmatched key',
    routes: [{ mounts: ['/api'], method: 'GET', path: '/users/:id', behavior: ok }],
    requests: [
      { path: (i) => `/${randomSegment(i)}/${randomSegment(i)}`, times: 600 },
      { path: (i) => `/api/${randomSegment(i)}`, times: 300 },
      { path: (i) => `/api/users/${i}/${randomSegment(i)}`, times: 200 },
    ],
    expect: answered('__unmatched__', 'GET', 404, 1100),
    routeKeys: ['__unmatched__'],
  },
  {
    name: 'a synchronous throw is a 500 on its route',
    routes: [{ mounts: ['/api'], method: 'GET', path: '/boom', behavior: { kind: 'throw' } }],
    requests: [{ path: '/api/boom', times: 2 }],
    expect: [...answered('api.boom', 'GET', 500, 2), ...failed('api.boom', 2)],
    routeKeys: ['api.boom'],
  },
  {
    name: 'an error passed on is a 500 on its route',
    routes: [
      { mounts: ['/api', '/v1'], method: 'POST', path: '/orders/:id', behavior: { kind: 'next-error' } },
    ],
    requests: [{ method: 'POST', path: '/api/v1/orders/42' }],
    expect: [...answered('api.v1.orders._id', 'POST', 500, 1), ...failed('api.v1.orders._id', 1)],
    routeKeys: ['api.v1.orders._id'],
  },
  {
    name: 'an async rejection is a 500 on its route',
    routes: [{ mounts: ['/api'], method: 'GET', path: '/later/:id', behavior: { kind: 'reject' } }],
    requests: [{ path: '/api/later/1' }],
    expect: [...answered('api.later._id', 'GET', 500, 1), ...failed('api.later._id', 1)],
    routeKeys: ['api.later._id'],
    asyncErrors: true,
  },
  {
    name: "an error's status is the status recorded (418)",
    routes: [{ mounts: [], method: 'GET', path: '/teapot', behavior: { kind: 'error-status', status: 418 } }],
    requests: [{ path: '/teapot' }],
    expect: [
      ...answered('teapot', 'GET', 418, 1),
      ...failed('teapot', 1),
      { name: 'response.500', type: 'c', count: 0 },
    ],
    routeKeys: ['teapot'],
  },
  {
    name: 'a client that goes away is a timed 499, not an error',
    routes: [
      { mounts: ['/api'], method: 'GET', path: '/slow/:id', behavior: { kind: 'wait' } },
      { mounts: [], method: 'GET', path: '/fast', behavior: ok },
    ],
    requests: [{ path: '/api/slow/1', abort: true }, { path: '/fast' }],
    expect: [
      { name: 'view.api.slow._id.GET', type: 'ms', count: 1 },
      { name: 'view.api.slow._id.response.499', type: 'c', count: 1 },
      { name: 'view.api.slow._id.response.4xx', type: 'c', count: 1 },
      { name: 'response.499', type: 'c', count: 1 },
      { name: 'view.fast.GET', type: 'ms', count: 1 },
      { name: 'request', type: 'ms', count: 2 },
      { name: 'errors', type: 'c', count: 0 },
    ],
    routeKeys: ['api.slow._id', 'fast'],
  },
  {
    name: 'excluded paths send nothing',
    options: { exclude: ['/healthz', '/internal/*'] },
    routes: [
      { mounts: [], method: 'GET', path: '/healthz', behavior: ok },
      { mounts: ['/internal'], method: 'GET', path: '/metrics', behavior: ok },
      { mounts: [], method: 'GET', path: '/ping', behavior: ok },
    ],
    requests: [
      { path: '/healthz', times: 5, unmeasured: true },
      { path: '/healthz?probe=1', unmeasured: true },
      { path: '/internal/metrics', times: 2, unmeasured: true },
      { path: '/ping' },
    ],
    expect: answered('ping', 'GET', 200, 1),
    routeKeys: ['ping'],
  },
  {
    name: 'methods are keyed separately',
    routes: [
      { mounts: [], method: 'POST', path: '/items', behavior: { kind: 'ok', status: 201 } },
      { mounts: [], method: 'GET', path: '/items', behavior: ok },
      { mounts: [], method: 'DELETE', path: '/items/:id', behavior: { kind: 'ok', status: 204 } },
    ],
    requests: [
      { method: 'POST', path: '/items', times: 2 },
      { path: '/items' },
      { method: 'DELETE', path: '/items/9' },
    ],
    expect: [
      { name: 'view.items.POST', type: 'ms', count: 2 },
      { name: 'view.items.GET', type: 'ms', count: 1 },
      { name: 'view.items._id.DELETE', type: 'ms', count: 1 },
      { name: 'view.POST', type: 'ms', count: 2 },
      { name: 'view.items.response.201', type: 'c', count: 2 },
      { name: 'view.items.response.200', type: 'c', count: 1 },
      { name: 'view.items._id.response.204', type: 'c', count: 1 },
      { name: 'response.2xx', type: 'c', count: 4 },
    ],
    routeKeys: ['items', 'items._id'],
  },
  {
    name: 'request context totals per route and overall',
    options: { context: true },
    routes: [
      {
        mounts: ['/api'],
        method: 'GET',
        path: '/report/:id',
        behavior: {
          kind: 'context',
          add: [
            ['db', 5],
            ['db', 7],
            ['http', 20],
          ],
        },
      },
    ],
    requests: [{ path: '/api/report/1', times: 3 }],
    expect: [
      ...answered('api.report._id', 'GET', 200, 3),
      { name: 'view.api.report._id.db.count', type: 'ms', count: 3, value: 2 },
      { name: 'view.api.report._id.db.time', type: 'ms', count: 3, value: 12 },
      { name: 'view.api.report._id.http.count', type: 'ms', count: 3, value: 1 },
      { name: 'view.api.report._id.http.time', type: 'ms', count: 3, value: 20 },
      { name: 'db.count', type: 'ms', count: 3, value: 2 },
      { name: 'db.time', type: 'ms', count: 3, value: 12 },
      { name: 'http.count', type: 'ms', count: 3, value: 1 },
      { name: 'view.api.report._id.cache.count', type: 'ms', count: 0 },
    ],
    routeKeys: ['api.report._id'],
  },
  {
    name: 'tags mode: route, method and status are tags on stable names',
    options: { mode: 'tags', context: true },
    routes: [
      { mounts: ['/api'], method: 'GET', path: '/users/:id', behavior: ok },
      { mounts: ['/api'], method: 'GET', path: '/boom', behavior: { kind: 'throw' } },
      {
        mounts: [],
        method: 'GET',
        path: '/report',
        behavior: { kind: 'context', add: [['db', 4]] },
      },
    ],
    requests: [
      { path: (i) => `/api/users/${randomSegment(i)}`, times: 20 },
      { path: '/api/boom' },
      { path: '/nowhere' },
      { path: '/report' },
    ],
    expect: [
      {
        name: 'request',
        type: 'ms',
        count: 20,
        tags: { route: 'api.users._id', method: 'GET', status: '200', status_class: '2xx' },
      },
      {
        name: 'request',
        type: 'ms',
        count: 1,
        tags: { route: 'api.boom', status: '500', status_class: '5xx' },
      },
      { name: 'request', type: 'ms', count: 1, tags: { route: '__unmatched__', status: '404' } },
      { name: 'errors', type: 'c', count: 1, tags: { route: 'api.boom', method: 'GET', status: '500' } },
      { name: 'db.count', type: 'ms', count: 1, value: 1, tags: { route: 'report', method: 'GET' } },
      { name: 'db.time', type: 'ms', count: 1, value: 4, tags: { route: 'report' } },
      { name: 'request', type: 'ms', count: 23 },
    ],
    onlyNames: ['request', 'errors', 'db.count', 'db.time'],
  },
  {
    name: 'per-route settings: skip, name and tags (config.stats / metrics.route())',
    routes: [
      { mounts: [], method: 'GET', path: '/healthz', behavior: ok, stats: false },
      { mounts: ['/internal'], method: 'GET', path: '/ping', behavior: ok, stats: { skip: true } },
      {
        mounts: ['/api'],
        method: 'GET',
        path: '/users/:id',
        behavior: ok,
        stats: { name: 'users.show', tags: { team: 'core' } },
      },
      { mounts: [], method: 'GET', path: '/plain', behavior: ok },
    ],
    requests: [
      { path: '/healthz', times: 3, unmeasured: true },
      { path: '/internal/ping', unmeasured: true },
      { path: (i) => `/api/users/${i}`, times: 4 },
      { path: '/plain' },
    ],
    expect: [
      { name: 'view.users.show.GET', type: 'ms', count: 4, tags: { team: 'core' } },
      { name: 'view.users.show.response.200', type: 'c', count: 4, tags: { team: 'core' } },
      { name: 'view.users.show.response.2xx', type: 'c', count: 4, tags: { team: 'core' } },
      { name: 'view.plain.GET', type: 'ms', count: 1 },
      { name: 'request', type: 'ms', count: 5 },
      { name: 'response.200', type: 'c', count: 5 },
    ],
    routeKeys: ['users.show', 'plain'],
  },
  {
    name: "per-request tags (tagRequest) on each of the request's metrics",
    routes: [
      {
        mounts: ['/api'],
        method: 'GET',
        path: '/tenants/:id',
        behavior: { kind: 'tag', tags: { plan: 'pro' } },
      },
      { mounts: ['/api'], method: 'GET', path: '/free', behavior: ok },
    ],
    requests: [
      { path: (i) => `/api/tenants/${i}`, times: 3 },
      { path: '/api/free', times: 2 },
    ],
    expect: [
      { name: 'view.api.tenants._id.GET', type: 'ms', count: 3, tags: { plan: 'pro' } },
      { name: 'view.api.tenants._id.response.200', type: 'c', count: 3, tags: { plan: 'pro' } },
      { name: 'request', type: 'ms', count: 3, tags: { plan: 'pro' } },
      { name: 'response.2xx', type: 'c', count: 3, tags: { plan: 'pro' } },
      { name: 'request', type: 'ms', count: 5 },
      { name: 'response.2xx', type: 'c', count: 5 },
      { name: 'view.api.free.GET', type: 'ms', count: 2 },
    ],
    routeKeys: ['api.tenants._id', 'api.free'],
  },
  {
    name: 'body sizes (sizes: true): Content-Length in, body bytes out',
    options: { sizes: true },
    routes: [
      { mounts: [], method: 'POST', path: '/upload', behavior: ok },
      { mounts: [], method: 'GET', path: '/download', behavior: ok },
    ],
    requests: [{ method: 'POST', path: '/upload', body: 'é'.repeat(500), times: 2 }, { path: '/download' }],
    expect: [
      { name: 'view.upload.request.bytes', type: 'ms', count: 2, value: 1000 },
      { name: 'view.upload.response.bytes', type: 'ms', count: 2, value: 2 },
      { name: 'view.download.request.bytes', type: 'ms', count: 1, value: 0 },
      { name: 'view.download.response.bytes', type: 'ms', count: 1, value: 2 },
      { name: 'request.bytes', type: 'ms', count: 3 },
      { name: 'response.bytes', type: 'ms', count: 3, value: 2 },
      { name: 'view.upload.POST', type: 'ms', count: 2 },
    ],
    routeKeys: ['upload', 'download'],
  },
];

/** How many requests of a scenario are measured (one `request` timer each). */
export function measuredRequests(s: Scenario): number {
  let n = 0;
  for (const r of s.requests) if (r.unmeasured !== true) n += r.times ?? 1;
  return n;
}

/** The behaviour for an adapter to implement in a handler: the body it answers with. */
export async function contextWork(add: readonly (readonly [string, number])[]): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  const ctx = currentRequest();
  for (const [kind, ms] of add) ctx?.add(kind, ms);
}

/** An error with `status` and `statusCode` set, as frameworks read them. */
export function statusError(status: number): Error {
  return Object.assign(new Error(`scenario error ${status}`), { status, statusCode: status, expose: true });
}

/** Hooks for the app's `wait` handlers; the runner listens to know when to abort. */
export interface RunnerHooks extends ScenarioHooks {
  onWaiting(fn: () => void): void;
}

/** Create before building the app: its `wait` handlers call `hooks.waiting()`. */
export function scenarioHooks(): RunnerHooks {
  let listener: (() => void) | undefined;
  return {
    waiting: () => listener?.(),
    onWaiting: (fn) => {
      listener = fn;
    },
  };
}

/**
 * Send a scenario's requests to `baseUrl` over HTTP (fetch), `concurrency` at a time. An `abort` request
 * is aborted once its handler called `hooks.waiting()`.
 */
export async function runRequests(
  baseUrl: string,
  s: Scenario,
  hooks: RunnerHooks,
  concurrency = 16,
): Promise<void> {
  for (const r of s.requests) {
    const times = r.times ?? 1;
    const method = r.method ?? 'GET';
    const url = (i: number): string => `${baseUrl}${typeof r.path === 'function' ? r.path(i) : r.path}`;
    if (r.abort === true) {
      for (let i = 0; i < times; i++) {
        const controller = new AbortController();
        const entered = new Promise<void>((resolve) => hooks.onWaiting(resolve));
        const pending = fetch(url(i), { method, signal: controller.signal }).catch(() => undefined);
        await entered;
        controller.abort();
        await pending;
      }
      continue;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < times) {
        const res = await fetch(url(next++), r.body === undefined ? { method } : { method, body: r.body });
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, times) }, worker));
  }
}

function tagsMatch(m: ParsedMetric, tags: Readonly<Record<string, string>> | undefined): boolean {
  if (tags === undefined) return true;
  for (const [k, v] of Object.entries(tags)) if (m.tags[k] !== v) return false;
  return true;
}

/**
 * Problems with what a scenario sent (empty when it matches the catalogue). `prefix` is what precedes
 * the relative names (`http.` by default, with the client's prefix if any).
 */
export function verifyScenario(s: Scenario, metrics: readonly ParsedMetric[], prefix = 'http.'): string[] {
  const problems: string[] = [];
  const relative = metrics
    .filter((m) => m.name.startsWith(prefix))
    .map((m) => ({ m, name: m.name.slice(prefix.length) }));
  for (const e of s.expect) {
    const found = relative.filter(
      ({ m, name }) => name === e.name && m.type === e.type && tagsMatch(m, e.tags),
    );
    const got = e.type === 'c' ? found.reduce((sum, { m }) => sum + Number(m.value), 0) : found.length;
    if (got !== e.count) {
      const what = e.type === 'c' ? 'counted' : 'lines';
      const tags = e.tags ? ` ${JSON.stringify(e.tags)}` : '';
      problems.push(`${e.name}|${e.type}${tags}: ${got} ${what}, expected ${e.count}`);
    }
    if (e.value !== undefined) {
      const bad = found.find(({ m }) => m.value !== e.value);
      if (bad !== undefined) problems.push(`${e.name}: value ${String(bad.m.value)}, expected ${e.value}`);
    }
  }
  if (s.routeKeys !== undefined) {
    const keys = new Set<string>();
    for (const { m, name } of relative) {
      if (m.type !== 'ms' || !name.startsWith('view.')) continue;
      const dot = name.lastIndexOf('.');
      const method = name.slice(dot + 1);
      if (dot > 'view'.length && METHODS.includes(method)) keys.add(name.slice('view.'.length, dot));
    }
    const want = [...s.routeKeys].sort();
    const got = [...keys].sort();
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      problems.push(`route keys ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
    }
  }
  if (s.onlyNames !== undefined) {
    const allowed = new Set(s.onlyNames);
    const extra = new Set(relative.map((r) => r.name).filter((n) => !allowed.has(n)));
    if (extra.size > 0) problems.push(`unexpected names: ${[...extra].join(', ')}`);
  }
  return problems;
}
