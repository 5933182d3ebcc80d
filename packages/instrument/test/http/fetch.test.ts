/**
 * instrumentFetch: Node 20's built-in fetch (undici 6 inside Node) and npm undici 7's fetch / request,
 * measured from the `undici:request:*` diagnostics channels. First: what the app gets back is the same
 * with and without the instrumentation — repeated headers, Set-Cookie, trailers, streamed bodies,
 * redirects, aborts and errors. Then: the metrics.
 */
import { createHash } from 'node:crypto';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createTestClient, findMetrics } from '@statskit/client/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { instrumentFetch } from '../../src/http/fetch.js';
import type { HttpClientInstrumentation } from '../../src/http/types.js';
import { rawStrings, seenError, seenResponse, sha256 } from './seen.js';
import {
  closedPort,
  hostKey,
  SLOW_BODY_MS,
  STREAM_BYTES,
  startServer,
  streamBody,
  type TestServer,
} from './servers.js';
import { undiciCopies } from './undici-copies.js';

// Node's bundled undici first (the built-in fetch's), then the npm package (undici 7)
const { bundled, npm, npmAgent } = await undiciCopies();
const { Agent, interceptors } = npm;
const undiciFetch: typeof npm.fetch = (url, init) => npm.fetch(url, { dispatcher: npmAgent, ...init });
const undiciRequest: typeof npm.request = (url, opts) =>
  npm.request(url, { dispatcher: npmAgent, ...opts } as never) as never;

type FetchFn = (url: string, init?: RequestInit) => Promise<Response>;
const builtinFetch: FetchFn = (url, init) => fetch(url, init);
const npmFetch: FetchFn = (url, init) => undiciFetch(url, init as never) as unknown as Promise<Response>;

afterAll(() => npmAgent.close());

it('the built-in fetch runs on the undici bundled in Node, not on npm undici', () => {
  expect(npm.getGlobalDispatcher()).toBe(bundled);
  expect(bundled).not.toBeInstanceOf(Agent);
});

describe('instrumentFetch: responses are the same with and without it', () => {
  const stats = createTestClient();
  let server: TestServer;
  let refused: number;

  beforeAll(async () => {
    server = await startServer();
    refused = await closedPort();
  });
  afterAll(async () => {
    await server.close();
  });

  /** Run `fn` without, then with the instrumentation; check it recorded something. */
  async function compare<T>(what: string, fn: () => Promise<T>): Promise<void> {
    stats.clear();
    const plain = await fn();
    expect(stats.metrics, `${what}: nothing without it`).toEqual([]);
    const inst = instrumentFetch({ stats });
    let instrumented: T;
    try {
      instrumented = await fn();
    } finally {
      inst.uninstall();
    }
    expect(instrumented, what).toEqual(plain);
    expect(stats.metrics.length, `${what}: measured`).toBeGreaterThan(0);
  }

  it.each([
    ['built-in fetch', builtinFetch],
    ['npm undici fetch', npmFetch],
  ])('%s: repeated headers, Set-Cookie, trailers, a streamed body, redirects', async (_name, f) => {
    // the server really sends what the comparison relies on
    const headers = await seenResponse(await f(`${server.origin}/headers`));
    expect(headers.setCookie).toEqual([
      'a=1; Path=/',
      'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
    ]);
    expect(headers.multi).toBe('m1, m2');
    expect(headers.latin1).toBe('636166e9');
    const stream = await f(`${server.origin}/stream`);
    expect(sha256(await stream.arrayBuffer())).toBe(sha256(streamBody()));
    expect(STREAM_BYTES).toBeGreaterThan(1_000_000);

    await compare('headers', async () => seenResponse(await f(`${server.origin}/headers`)));
    await compare('trailers (body)', async () => seenResponse(await f(`${server.origin}/trailers`)));
    await compare('stream', async () => seenResponse(await f(`${server.origin}/stream`)));
    await compare('redirects', async () => seenResponse(await f(`${server.origin}/redirect/2`)));
    await compare('manual redirect', async () =>
      seenResponse(await f(`${server.origin}/redirect/0`, { redirect: 'manual' })),
    );
    await compare('POST with a body', async () =>
      seenResponse(await f(`${server.origin}/status/201`, { method: 'POST', body: 'x'.repeat(100_000) })),
    );
  });

  it.each([
    ['built-in fetch', builtinFetch],
    ['npm undici fetch', npmFetch],
  ])('%s: aborts, timeouts, resets and refused connections fail the same way', async (_name, f) => {
    await compare('abort before the response', () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 30);
      return seenError(f(`${server.origin}/hang`, { signal: ac.signal }));
    });
    await compare('abort with a reason', () => {
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error('stop')), 30);
      return seenError(f(`${server.origin}/hang`, { signal: ac.signal }));
    });
    await compare('abort mid-body', async () => {
      const ac = new AbortController();
      const res = await f(`${server.origin}/slow`, { signal: ac.signal });
      ac.abort();
      return seenError(res.text());
    });
    await compare('timeout', () =>
      seenError(f(`${server.origin}/hang`, { signal: AbortSignal.timeout(30) })),
    );
    await compare('reset', () => seenError(f(`${server.origin}/reset`)));
    await compare('reset mid-body', async () => seenError((await f(`${server.origin}/midreset`)).text()));
    await compare('refused', () => seenError(f(`http://127.0.0.1:${refused}/`)));
  });

  it('npm undici request(): headers (parsed and raw), trailers, streamed body, redirects, aborts', async () => {
    const req = async (path: string, opts: Parameters<typeof undiciRequest>[1] = {}) => {
      const r = await undiciRequest(`${server.origin}${path}`, opts);
      const body = sha256(Buffer.from(await r.body.arrayBuffer()));
      const headers = Array.isArray(r.headers)
        ? rawStrings(r.headers)
        : Object.fromEntries(Object.entries(r.headers).filter(([k]) => k !== 'date'));
      return { status: r.statusCode, headers, trailers: r.trailers, body };
    };
    const trailers = await req('/trailers');
    expect(trailers.trailers).toEqual({ 'x-checksum': 'abc123', 'x-repeat': ['r1', 'r2'] });
    const raw = await req('/headers', { responseHeaders: 'raw' });
    expect((raw.headers as unknown[]).slice(0, 6)).toEqual([
      'Content-Type',
      'text/plain; charset=utf-8',
      'Set-Cookie',
      'a=1; Path=/',
      'X-Multi',
      'm1',
    ]);

    const redirecting = new Agent().compose(interceptors.redirect({ maxRedirections: 3 }));
    try {
      await compare('headers', () => req('/headers'));
      await compare('raw headers', () => req('/headers', { responseHeaders: 'raw' }));
      await compare('trailers', () => req('/trailers'));
      await compare('raw trailers', () => req('/trailers', { responseHeaders: 'raw' }));
      await compare('stream', () => req('/stream'));
      await compare('redirects', () => req('/redirect/2', { dispatcher: redirecting }));
      await compare('abort', () => {
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 30);
        return seenError(req('/hang', { signal: ac.signal }));
      });
      await compare('refused', () => seenError(undiciRequest(`http://127.0.0.1:${refused}/`)));
    } finally {
      await redirecting.close();
    }
  });
});

describe('instrumentFetch: metrics', () => {
  const stats = createTestClient();
  let inst: HttpClientInstrumentation;
  let server: TestServer;
  let slow: TestServer;
  let refused: number;

  beforeAll(async () => {
    server = await startServer();
    slow = await startServer();
    refused = await closedPort();
    inst = instrumentFetch({ stats });
  });
  afterAll(async () => {
    inst.uninstall();
    await server.close();
    await slow.close();
  });
  afterEach(() => stats.clear());

  it('built-in fetch: times a call, counts its status code and class under the host and method', async () => {
    const res = await fetch(`${server.origin}/ok`);
    expect(await res.json()).toEqual({ ok: true, method: 'GET' });
    const h = hostKey(server.port);
    const [timer] = findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' });
    expect(timer?.value).toBeGreaterThan(0);
    expect(findMetrics(stats, `http_client.${h}.response.200`, { type: 'c', value: 1 })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.2xx`, { type: 'c', value: 1 })).toHaveLength(1);
    expect(stats.metrics).toHaveLength(3);
  });

  it('times to the end of the body: nothing is recorded at headers; the timer is ≥ the streaming time', async () => {
    const res = await fetch(`${slow.origin}/slow`);
    expect(res.status).toBe(200);
    expect(stats.metrics).toEqual([]);
    expect(await res.text()).toBe('first;last');
    const [timer] = findMetrics(stats, `http_client.${hostKey(slow.port)}.GET`, { type: 'ms' });
    expect(SLOW_BODY_MS).toBeGreaterThanOrEqual(200);
    expect(Number(timer?.value)).toBeGreaterThanOrEqual(200);
  });

  it('POST 503 is a response (503 / 5xx), not an error; npm undici fetch and request are measured', async () => {
    await (await fetch(`${server.origin}/status/503`, { method: 'POST', body: 'x' })).text();
    await (await undiciFetch(`${server.origin}/ok`)).text();
    const r = await undiciRequest(`${server.origin}/status/201`, { method: 'PUT' });
    await r.body.text();
    const h = hostKey(server.port);
    expect(findMetrics(stats, `http_client.${h}.POST`, { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.503`)).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.PUT`, { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.201`)).toHaveLength(1);
    expect(stats.metrics.filter((m) => m.name.includes('.errors.'))).toEqual([]);
  });

  it('a redirect chain is one call per hop: 302, 302, then 200', async () => {
    const res = await fetch(`${server.origin}/redirect/1`);
    expect(res.redirected).toBe(true);
    await res.text();
    const h = hostKey(server.port);
    expect(findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' })).toHaveLength(3);
    expect(findMetrics(stats, `http_client.${h}.response.302`, { type: 'c' })).toHaveLength(2);
    expect(findMetrics(stats, `http_client.${h}.response.200`, { type: 'c' })).toHaveLength(1);
  });

  it('errors: refused, reset, reset mid-body, abort, abort mid-body, cancelled body, timeout', async () => {
    const h = hostKey(server.port);
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'refused',
        () => fetch(`http://127.0.0.1:${refused}/`),
        `http_client.${hostKey(refused)}.errors.ECONNREFUSED`,
      ],
      ['reset', () => fetch(`${server.origin}/reset`), `http_client.${h}.errors.ECONNRESET`],
      [
        'midreset',
        async () => (await fetch(`${server.origin}/midreset`)).text(),
        `http_client.${h}.errors.ECONNRESET`,
      ],
      [
        'abort',
        () => {
          const ac = new AbortController();
          setTimeout(() => ac.abort(), 30);
          return fetch(`${server.origin}/hang`, { signal: ac.signal });
        },
        `http_client.${h}.errors.ABORTED`,
      ],
      [
        'abort mid-body',
        async () => {
          const ac = new AbortController();
          const res = await fetch(`${slow.origin}/slow`, { signal: ac.signal });
          ac.abort();
          return res.text();
        },
        `http_client.${hostKey(slow.port)}.errors.ABORTED`,
      ],
      [
        'cancelled body',
        async () => {
          const res = await fetch(`${slow.origin}/slow`);
          await res.body?.cancel();
          throw new Error('cancelled');
        },
        `http_client.${hostKey(slow.port)}.errors.ABORTED`,
      ],
      [
        'timeout',
        () => fetch(`${server.origin}/hang`, { signal: AbortSignal.timeout(30) }),
        `http_client.${h}.errors.ETIMEDOUT`,
      ],
    ];
    for (const [what, call, metric] of cases) {
      stats.clear();
      await expect(call(), what).rejects.toBeDefined();
      expect(findMetrics(stats, metric, { type: 'c', value: 1 }), what).toHaveLength(1);
      expect(stats.metrics, what).toHaveLength(1);
    }
  });

  it('adds each call to the request that made it, also on a reused keep-alive connection', async () => {
    const a = new RequestContext();
    const b = new RequestContext();
    await runWithRequest(a, async () => {
      await (await fetch(`${server.origin}/ok`)).text();
      await (await fetch(`${server.origin}/redirect/0`)).text();
    });
    // b reuses the socket a opened: the call still belongs to b
    await runWithRequest(b, async () => (await fetch(`${server.origin}/ok`)).text());
    await (await fetch(`${server.origin}/ok`)).text(); // outside any request
    expect(a.count('http')).toBe(3); // /ok, and the redirect's two hops
    expect(a.timeMs('http')).toBeGreaterThan(0);
    expect(b.count('http')).toBe(1);

    const off = instrumentFetch({ stats: createTestClient(), request: false });
    const c = new RequestContext();
    try {
      await runWithRequest(c, async () => (await fetch(`${server.origin}/ok`)).text());
    } finally {
      off.uninstall();
    }
    expect(c.count('http')).toBe(1); // from `inst` only, not from `off`
  });

  it('tags mode: http_client.request tagged host, method, status, status_class; errors tagged error', async () => {
    const tagged = createTestClient();
    const t = instrumentFetch({ stats: tagged, mode: 'tags' });
    try {
      await (await fetch(`${server.origin}/ok`)).text();
      await expect(fetch(`http://127.0.0.1:${refused}/`)).rejects.toThrow();
    } finally {
      t.uninstall();
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

  it('host rules: allow-list, prefix and statusGrouping apply; default ports are not in the key', async () => {
    const c = createTestClient();
    const t = instrumentFetch({
      stats: c,
      hosts: ['localhost'],
      prefix: 'out.http',
      statusGrouping: 'class',
    });
    try {
      await (await fetch(`http://localhost:${server.port}/ok`)).text();
      await (await fetch(`${server.origin}/ok`)).text();
    } finally {
      t.uninstall();
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

  it('a CONNECT tunnel (what a proxy agent opens) and a WebSocket handshake are not counted', async () => {
    const proxy = http.createServer();
    const sockets = new Set<Duplex>();
    proxy.on('connection', (socket: Duplex) => sockets.add(socket));
    proxy.on('connect', (_req, socket: Duplex) => {
      socket.end('HTTP/1.1 200 Connection Established\r\n\r\n');
    });
    proxy.on('upgrade', (req, socket: Duplex) => {
      const accept = createHash('sha1')
        .update(`${req.headers['sec-websocket-key']}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    try {
      const { statusCode, socket } = await npm.connect(`http://127.0.0.1:${port}`, {
        dispatcher: npmAgent,
        path: 'example.com:443',
      } as never);
      expect(statusCode).toBe(200);
      socket.destroy();
      const ws = new npm.WebSocket(`ws://127.0.0.1:${port}/`);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = reject;
      });
      ws.close();
    } finally {
      // upgraded sockets are no longer the server's: closeAllConnections() would not end them
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    expect(stats.metrics).toEqual([]);
  });

  it('rejects invalid options', () => {
    expect(() => instrumentFetch({ stats: {} as never })).toThrow(/instrumentFetch.*stats/);
    expect(() => instrumentFetch({ stats, maxHosts: -1 })).toThrow(/maxHosts/);
    expect(() => instrumentFetch({ stats, mode: 'x' as never })).toThrow(/mode/);
  });
});

describe('instrumentFetch: subscriptions', () => {
  const CHANNELS = ['create', 'headers', 'trailers', 'error'].map((c) => `undici:request:${c}`);
  const subscribed = () => CHANNELS.map((c) => dc.channel(c).hasSubscribers);
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('fans out to every instrumentation; the channels are released when the last one is uninstalled', async () => {
    expect(subscribed()).toEqual([false, false, false, false]);
    const s1 = createTestClient();
    const s2 = createTestClient();
    const i1 = instrumentFetch({ stats: s1 });
    const i2 = instrumentFetch({ stats: s2, prefix: 'other' });
    expect(subscribed()).toEqual([true, true, true, true]);
    await (await fetch(`${server.origin}/ok`)).text();
    expect(findMetrics(s1, `http_client.${hostKey(server.port)}.GET`)).toHaveLength(1);
    expect(findMetrics(s2, `other.${hostKey(server.port)}.GET`)).toHaveLength(1);

    i1.uninstall();
    i1.uninstall(); // idempotent
    expect(subscribed()).toEqual([true, true, true, true]);
    await (await fetch(`${server.origin}/ok`)).text();
    expect(s1.metrics).toHaveLength(3);
    expect(s2.metrics).toHaveLength(6);

    // a call in flight when its instrumentation is removed is not recorded
    const res = await fetch(`${server.origin}/slow`);
    i2.uninstall();
    expect(subscribed()).toEqual([false, false, false, false]);
    await res.text();
    await (await fetch(`${server.origin}/ok`)).text();
    expect(s2.metrics).toHaveLength(6);
  });

  it('a new instrumentation does not see calls started before it', async () => {
    const early = createTestClient();
    const e = instrumentFetch({ stats: early });
    const res = await fetch(`${server.origin}/slow`);
    const late = createTestClient();
    const l = instrumentFetch({ stats: late });
    try {
      await res.text();
    } finally {
      e.uninstall();
      l.uninstall();
    }
    expect(findMetrics(early, `http_client.${hostKey(server.port)}.GET`)).toHaveLength(1);
    expect(late.metrics).toEqual([]);
  });
});
