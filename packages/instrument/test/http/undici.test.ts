/**
 * The deprecated `statsInterceptor`, for npm undici 7's own fetch and request (a composed Agent as
 * `dispatcher`). Through the built-in fetch of Node 20 and 22 (undici 6 inside Node) it alters responses — see the
 * last block — which is why `instrumentFetch` replaced it.
 */
import { createTestClient, findMetrics } from '@statskit/client/testing';
import { Agent, type Dispatcher, interceptors, fetch as undiciFetch, request as undiciRequest } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { statsInterceptor } from '../../src/http/undici.js';
import { rawStrings, seenResponse as seenAll, seenError as seenFailure } from './seen.js';
import { closedPort, hostKey, SLOW_BODY_MS, startServer, type TestServer } from './servers.js';

/** npm undici's fetch through `dispatcher`. */
function npmFetch(url: string, dispatcher: Dispatcher, init: RequestInit = {}): Promise<Response> {
  return undiciFetch(url, { ...init, dispatcher } as never) as unknown as Promise<Response>;
}

/** What the app sees of a response (the `date` header differs between two calls). */
async function seenResponse(res: Response) {
  const headers = [...res.headers].filter(([k]) => k !== 'date');
  return { status: res.status, statusText: res.statusText, headers, body: await res.text() };
}

/** What the app sees of a failed fetch. */
async function seenError(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { cause?: Error & { code?: string } };
    return {
      class: e.constructor.name,
      name: e.name,
      message: e.message,
      cause: e.cause?.constructor.name,
      causeCode: e.cause?.code,
    };
  }
  throw new Error('expected a rejection');
}

describe('statsInterceptor (fetch / undici)', () => {
  const stats = createTestClient();
  let server: TestServer;
  let slow: TestServer;
  let refused: number;
  let plain: Agent;
  let instrumented: Dispatcher;

  beforeAll(async () => {
    server = await startServer();
    slow = await startServer();
    refused = await closedPort();
    plain = new Agent();
    instrumented = new Agent().compose(statsInterceptor({ stats }));
  });

  afterAll(async () => {
    await plain.close();
    await instrumented.close();
    await server.close();
    await slow.close();
  });

  afterEach(() => stats.clear());

  it('times a call, counts its status code and class under the host and method', async () => {
    const res = await npmFetch(`${server.origin}/ok`, instrumented);
    expect(await res.json()).toEqual({ ok: true, method: 'GET' });
    const h = hostKey(server.port);
    const [timer] = findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' });
    expect(timer?.value).toBeGreaterThan(0);
    expect(findMetrics(stats, `http_client.${h}.response.200`, { type: 'c', value: 1 })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.2xx`, { type: 'c', value: 1 })).toHaveLength(1);
    expect(stats.metrics).toHaveLength(3);
  });

  it('methods and error statuses: POST 503 is timed and counted as 503 / 5xx, not as an error', async () => {
    const res = await npmFetch(`${server.origin}/status/503`, instrumented, {
      method: 'POST',
      body: 'x',
    });
    expect(res.status).toBe(503);
    await res.text();
    const h = hostKey(server.port);
    expect(findMetrics(stats, `http_client.${h}.POST`, { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.503`)).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.5xx`)).toHaveLength(1);
    expect(stats.metrics.filter((m) => m.name.includes('.errors.'))).toEqual([]);
  });

  it('times to the end of the body: nothing is recorded at headers; the timer is ≥ the streaming time', async () => {
    const res = await npmFetch(`${slow.origin}/slow`, instrumented);
    expect(res.status).toBe(200);
    // headers are here, the body is not: the call has not ended yet
    expect(stats.metrics).toEqual([]);
    expect(await res.text()).toBe('first;last');
    const [timer] = findMetrics(stats, `http_client.${hostKey(slow.port)}.GET`, { type: 'ms' });
    // the body is streamed over SLOW_BODY_MS (250): at least 200 ms is behaviour, not a timing bound
    expect(SLOW_BODY_MS).toBeGreaterThanOrEqual(200);
    expect(Number(timer?.value)).toBeGreaterThanOrEqual(200);
  });

  it('responses reach the app unchanged (status, headers, body)', async () => {
    for (const path of ['/ok', '/status/404', '/status/500', '/slow']) {
      const origin = path === '/slow' ? slow.origin : server.origin;
      const a = await seenResponse(await npmFetch(origin + path, plain));
      const b = await seenResponse(await npmFetch(origin + path, instrumented));
      expect(b).toEqual(a);
    }
  });

  it('errors: connection refused, reset before the response, reset mid-body, abort, timeout', async () => {
    const h = hostKey(server.port);
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'refused',
        async () => (await npmFetch(`http://127.0.0.1:${refused}/ok`, instrumented)).text(),
        `http_client.${hostKey(refused)}.errors.ECONNREFUSED`,
      ],
      [
        'reset',
        async () => (await npmFetch(`${server.origin}/reset`, instrumented)).text(),
        `http_client.${h}.errors.ECONNRESET`,
      ],
      [
        'midreset',
        async () => (await npmFetch(`${server.origin}/midreset`, instrumented)).text(),
        `http_client.${h}.errors.ECONNRESET`,
      ],
      [
        'abort',
        async () => {
          const ac = new AbortController();
          setTimeout(() => ac.abort(), 30);
          return (await npmFetch(`${server.origin}/hang`, instrumented, { signal: ac.signal })).text();
        },
        `http_client.${h}.errors.ABORTED`,
      ],
      [
        'timeout',
        async () =>
          (await npmFetch(`${server.origin}/hang`, instrumented, { signal: AbortSignal.timeout(30) })).text(),
        `http_client.${h}.errors.ETIMEDOUT`,
      ],
    ];
    for (const [what, call, metric] of cases) {
      stats.clear();
      await expect(call(), what).rejects.toBeDefined();
      expect(findMetrics(stats, metric, { type: 'c', value: 1 }), what).toHaveLength(1);
      // one outcome per call: no timer, no status counter
      expect(stats.metrics, what).toHaveLength(1);
    }
  });

  it('errors reach the app unchanged (class, name, message, cause and its code)', async () => {
    const pairs: [string, RequestInit?][] = [
      [`http://127.0.0.1:${refused}/ok`],
      [`${server.origin}/reset`],
      [`${server.origin}/hang`, { signal: AbortSignal.timeout(20) }],
    ];
    for (const [url, init] of pairs) {
      const a = await seenError(npmFetch(url, plain, init ? { signal: AbortSignal.timeout(20) } : {}));
      const b = await seenError(npmFetch(url, instrumented, init ? { signal: AbortSignal.timeout(20) } : {}));
      expect(b, url).toEqual(a);
    }
    const mid = async (d: Dispatcher) => (await npmFetch(`${server.origin}/midreset`, d)).text();
    expect(await seenError(mid(instrumented))).toEqual(await seenError(mid(plain)));
  });

  it("npm undici's own fetch() and request() are measured (request body read with .text())", async () => {
    const r1 = await undiciFetch(`${server.origin}/ok`, { dispatcher: instrumented });
    await r1.text();
    const r2 = await undiciRequest(`${server.origin}/status/201`, {
      dispatcher: instrumented,
      method: 'PUT',
    });
    expect(r2.statusCode).toBe(201);
    await r2.body.text();
    const h = hostKey(server.port);
    expect(findMetrics(stats, `http_client.${h}.GET`)).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.PUT`)).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.201`)).toHaveLength(1);
  });

  it('tags mode: http_client.request tagged host, method, status, status_class; errors tagged error', async () => {
    const tagged = createTestClient();
    const d = new Agent().compose(statsInterceptor({ stats: tagged, mode: 'tags' }));
    try {
      await (await npmFetch(`${server.origin}/ok`, d)).text();
      await expect(npmFetch(`http://127.0.0.1:${refused}/`, d)).rejects.toThrow();
    } finally {
      await d.close();
    }
    expect(
      findMetrics(tagged, 'http_client.request', {
        type: 'ms',
        tags: { host: hostKey(server.port), method: 'GET', status: '200', status_class: '2xx' },
      }),
    ).toHaveLength(1);
    expect(
      findMetrics(tagged, 'http_client.errors', {
        type: 'c',
        tags: { host: hostKey(refused), method: 'GET', error: 'ECONNREFUSED' },
      }),
    ).toHaveLength(1);
    expect(tagged.metrics).toHaveLength(2);
  });

  it('the host cap: past maxHosts, hosts are reported as __other__', async () => {
    const capped = createTestClient();
    const d = new Agent().compose(statsInterceptor({ stats: capped, maxHosts: 1 }));
    try {
      await (await npmFetch(`${server.origin}/ok`, d)).text();
      await (await npmFetch(`${slow.origin}/ok`, d)).text();
      await (await npmFetch(`http://localhost:${server.port}/ok`, d)).text();
    } finally {
      await d.close();
    }
    expect(findMetrics(capped, `http_client.${hostKey(server.port)}.GET`)).toHaveLength(1);
    expect(findMetrics(capped, 'http_client.__other__.GET')).toHaveLength(2);
  });

  it('an allow-list: other hosts are __other__; prefix and statusGrouping apply', async () => {
    const c = createTestClient();
    const d = new Agent().compose(
      statsInterceptor({ stats: c, hosts: ['localhost'], prefix: 'out.http', statusGrouping: 'class' }),
    );
    try {
      await (await npmFetch(`http://localhost:${server.port}/ok`, d)).text();
      await (await npmFetch(`${server.origin}/ok`, d)).text();
    } finally {
      await d.close();
    }
    expect(c.metrics.map((m) => m.name).sort()).toEqual(
      [
        `out.http.localhost_${server.port}.GET`,
        `out.http.localhost_${server.port}.response.2xx`,
        'out.http.__other__.GET',
        'out.http.__other__.response.2xx',
      ].sort(),
    );
  });

  it('rejects invalid options', () => {
    expect(() => statsInterceptor({ stats: {} as never })).toThrow(/stats/);
    expect(() => statsInterceptor({ stats, maxHosts: -1 })).toThrow(/maxHosts/);
    expect(() => statsInterceptor({ stats, mode: 'x' as never })).toThrow(/mode/);
    expect(() => statsInterceptor({ stats, hosts: [1 as never] })).toThrow(/hosts/);
  });
});

describe('statsInterceptor on npm undici 7: what the app gets is the same as through a plain Agent', () => {
  const stats = createTestClient();
  let server: TestServer;
  let refused: number;
  let plain: Agent;
  let instrumented: Dispatcher;
  let plainRedirect: Dispatcher;
  let instrumentedRedirect: Dispatcher;

  beforeAll(async () => {
    server = await startServer();
    refused = await closedPort();
    plain = new Agent();
    instrumented = new Agent().compose(statsInterceptor({ stats }));
    plainRedirect = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));
    instrumentedRedirect = new Agent().compose(
      interceptors.redirect({ maxRedirections: 3 }),
      statsInterceptor({ stats }),
    );
  });
  afterAll(async () => {
    for (const d of [plain, instrumented, plainRedirect, instrumentedRedirect]) await d.close();
    await server.close();
  });

  async function same<T>(what: string, call: (d: Dispatcher, redirect: Dispatcher) => Promise<T>) {
    stats.clear();
    const a = await call(plain, plainRedirect);
    const b = await call(instrumented, instrumentedRedirect);
    expect(b, what).toEqual(a);
    expect(stats.metrics.length, `${what}: measured`).toBeGreaterThan(0);
  }

  it('fetch: repeated headers, Set-Cookie, trailers, streamed body, redirects, aborts, errors', async () => {
    for (const path of ['/headers', '/trailers', '/stream', '/redirect/2']) {
      await same(path, async (d) => seenAll(await npmFetch(server.origin + path, d)));
    }
    await same('manual redirect', async (d) =>
      seenAll(await npmFetch(`${server.origin}/redirect/0`, d, { redirect: 'manual' })),
    );
    await same('abort', (d) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 30);
      return seenFailure(npmFetch(`${server.origin}/hang`, d, { signal: ac.signal }));
    });
    await same('abort mid-body', async (d) => {
      const ac = new AbortController();
      const res = await npmFetch(`${server.origin}/slow`, d, { signal: ac.signal });
      ac.abort();
      return seenFailure(res.text());
    });
    await same('refused', (d) => seenFailure(npmFetch(`http://127.0.0.1:${refused}/`, d)));
  });

  it('request(): parsed headers, trailers, streamed body, redirects (redirect interceptor), aborts', async () => {
    const req = async (path: string, dispatcher: Dispatcher, signal?: AbortSignal) => {
      const r = await undiciRequest(server.origin + path, signal ? { dispatcher, signal } : { dispatcher });
      const body = await r.body.text();
      const { date: _date, ...headers } = r.headers;
      return { status: r.statusCode, headers, trailers: r.trailers, body };
    };
    for (const path of ['/headers', '/trailers', '/stream']) await same(path, (d) => req(path, d));
    await same('redirects', (_d, redirect) => req('/redirect/2', redirect));
    await same('abort', (d) => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 30);
      return seenFailure(req('/hang', d, ac.signal));
    });
  });
});

describe('statsInterceptor alters what it should not (why it is deprecated: use instrumentFetch)', () => {
  const stats = createTestClient();
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  // Node 20 and 22 bundle undici 6: an undici 7 Agent's compose() hands undici 6's fetch headers it
  // cannot read, and repeated headers come out merged. A do-nothing interceptor does the same: the harm
  // is composing, not the interceptor. Node 24 (undici 7) and 26 (undici 8) read them: nothing changes.
  // The path is the running Node's; CI runs both.
  const bundledMajor = Number(process.versions.undici?.split('.')[0] ?? 0);
  it(`Node's built-in fetch (undici ${process.versions.undici}) through an npm undici 7 Agent composed with it: repeated headers ${bundledMajor === 6 ? 'merged (undici 6: Node 20, 22)' : 'unchanged (undici 7+: Node 24+)'}`, async () => {
    const plain = new Agent();
    const composed = new Agent().compose(statsInterceptor({ stats }));
    const noop = new Agent().compose(
      (dispatch: Dispatcher['dispatch']) =>
        (opts: Dispatcher.DispatchOptions, h: Dispatcher.DispatchHandler) =>
          dispatch(opts, h),
    );
    const builtin = async (d: Dispatcher) =>
      (await fetch(`${server.origin}/headers`, { dispatcher: d } as unknown as RequestInit)).headers;
    try {
      const unchanged = await builtin(plain);
      expect(unchanged.getSetCookie()).toEqual([
        'a=1; Path=/',
        'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
      ]);
      for (const d of [composed, noop]) {
        const h = await builtin(d);
        if (bundledMajor === 6) {
          expect(h.getSetCookie()).toEqual([
            'a=1; Path=/,b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
          ]);
          expect(h.get('x-multi')).toBe('m1,m2');
        } else {
          expect(h.getSetCookie()).toEqual(unchanged.getSetCookie());
          expect(h.get('x-multi')).toBe(unchanged.get('x-multi'));
        }
      }
    } finally {
      await plain.close();
      await composed.close();
      await noop.close();
    }
  });

  it("npm undici request() with responseHeaders: 'raw' gets lower-cased raw headers, repeated ones merged", async () => {
    const plain = new Agent();
    const composed = new Agent().compose(statsInterceptor({ stats }));
    const raw = async (dispatcher: Dispatcher) => {
      const r = await undiciRequest(`${server.origin}/headers`, { dispatcher, responseHeaders: 'raw' });
      await r.body.text();
      return rawStrings(r.headers);
    };
    try {
      const a = await raw(plain);
      const b = await raw(composed);
      expect(a.slice(0, 4)).toEqual([
        'Content-Type',
        'text/plain; charset=utf-8',
        'Set-Cookie',
        'a=1; Path=/',
      ]);
      expect(b).not.toEqual(a);
      // lower-cased, and the two Set-Cookie lines merged into one (a corrupted cookie)
      expect(b.slice(0, 4)).toEqual([
        'content-type',
        'text/plain; charset=utf-8',
        'set-cookie',
        'a=1; Path=/,b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
      ]);
    } finally {
      await plain.close();
      await composed.close();
    }
  });
});
