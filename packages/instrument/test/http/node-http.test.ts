/**
 * node:http through `diagnostics_channel` (instrumentHttpClient) and through StatsHttpAgent; axios and
 * got on top of node:http. Every test uninstalls what it installed.
 */
import http from 'node:http';
import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import axios, { type AxiosError } from 'axios';
import got from 'got';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StatsHttpAgent } from '../../src/http/agent.js';
import { instrumentHttpClient } from '../../src/http/node-http.js';
import type { HttpClientInstrumentation } from '../../src/http/types.js';
import { closedPort, hostKey, SLOW_BODY_MS, startServer, type TestServer } from './servers.js';

interface Seen {
  status: number | undefined;
  headers: Record<string, unknown>;
  body: string;
}

/** A node:http call as an app makes it; resolves with what it saw, rejects with the error it got. */
function get(
  url: string,
  opts: http.RequestOptions & { abortAfterMs?: number } = {},
  onHeaders?: () => void,
): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const { abortAfterMs, ...rest } = opts;
    const req = http.request(url, rest, (res) => {
      onHeaders?.();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('error', reject);
      res.on('end', () => {
        const { date: _date, ...headers } = res.headers;
        resolve({ status: res.statusCode, headers, body });
      });
    });
    req.on('error', reject);
    if (abortAfterMs !== undefined) setTimeout(() => req.destroy(), abortAfterMs);
    req.end();
  });
}

async function seenError(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { code?: string };
    return { class: e.constructor.name, name: e.name, message: e.message, code: e.code };
  }
  throw new Error('expected a rejection');
}

/** The AxiosError a call rejects with. */
function rejection(p: Promise<unknown>): Promise<AxiosError> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: AxiosError) => e,
  );
}

/** The call has ended once some metric of it is recorded (node:http ends a tick after the app's `end`). */
async function settled(stats: TestStatsClient, n = 1): Promise<void> {
  for (let i = 0; i < 100 && stats.metrics.length < n; i++) await new Promise((r) => setTimeout(r, 5));
}

describe('instrumentHttpClient (node:http via diagnostics_channel)', () => {
  const stats = createTestClient();
  let inst: HttpClientInstrumentation;
  let server: TestServer;
  let slow: TestServer;
  let refused: number;

  beforeAll(async () => {
    server = await startServer();
    slow = await startServer();
    refused = await closedPort();
  });
  afterAll(async () => {
    await server.close();
    await slow.close();
  });

  const install = (opts: Partial<Parameters<typeof instrumentHttpClient>[0]> = {}) => {
    inst = instrumentHttpClient({ stats, ...opts });
  };
  afterEach(() => {
    inst?.uninstall();
    stats.clear();
  });

  it('times a call and counts status code and class under host and method', async () => {
    install();
    const seen = await get(`${server.origin}/ok`);
    expect(JSON.parse(seen.body)).toEqual({ ok: true, method: 'GET' });
    await settled(stats, 3);
    const h = hostKey(server.port);
    expect(findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.200`, { value: 1 })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.2xx`, { value: 1 })).toHaveLength(1);
    expect(stats.metrics).toHaveLength(3);
  });

  it('times to the end of the body: nothing at headers, ≥ 200 ms for a body streamed over 250 ms', async () => {
    install();
    let atHeaders = -1;
    await get(`${slow.origin}/slow`, {}, () => {
      atHeaders = stats.metrics.length;
    });
    expect(atHeaders).toBe(0);
    await settled(stats);
    const [timer] = findMetrics(stats, `http_client.${hostKey(slow.port)}.GET`, { type: 'ms' });
    expect(SLOW_BODY_MS).toBeGreaterThanOrEqual(200);
    expect(Number(timer?.value)).toBeGreaterThanOrEqual(200);
  });

  it('responses reach the app unchanged', async () => {
    const paths = ['/ok', '/status/404', '/status/502', '/slow'];
    const before: Seen[] = [];
    for (const p of paths) before.push(await get((p === '/slow' ? slow.origin : server.origin) + p));
    install();
    for (const [i, p] of paths.entries()) {
      expect(await get((p === '/slow' ? slow.origin : server.origin) + p)).toEqual(before[i]);
    }
  });

  it('errors: refused, reset, mid-body reset, destroy, timeout — counted by code; same errors for the app', async () => {
    const h = hostKey(server.port);
    const cases: [string, () => Promise<unknown>, string][] = [
      [
        'refused',
        () => get(`http://127.0.0.1:${refused}/`),
        `http_client.${hostKey(refused)}.errors.ECONNREFUSED`,
      ],
      ['reset', () => get(`${server.origin}/reset`), `http_client.${h}.errors.ECONNRESET`],
      ['midreset', () => get(`${server.origin}/midreset`), `http_client.${h}.errors.ECONNRESET`],
      // req.destroy() before any response: Node reports "socket hang up" (ECONNRESET) to the app
      [
        'destroy',
        () => get(`${server.origin}/hang`, { abortAfterMs: 30 }),
        `http_client.${h}.errors.ECONNRESET`,
      ],
      [
        'abort signal',
        () => get(`${server.origin}/hang`, { signal: AbortSignal.timeout(30) }),
        `http_client.${h}.errors.ABORTED`,
      ],
    ];
    const plain = [];
    for (const [, call] of cases) plain.push(await seenError(call()));
    install();
    for (const [i, [what, call, metric]] of cases.entries()) {
      stats.clear();
      expect(await seenError(call()), what).toEqual(plain[i]);
      await settled(stats);
      expect(findMetrics(stats, metric, { type: 'c', value: 1 }), what).toHaveLength(1);
      expect(stats.metrics, what).toHaveLength(1);
    }
  });

  it('a timeout the app turns into destroy(ETIMEDOUT) is counted as ETIMEDOUT', async () => {
    install();
    const err = await seenError(
      new Promise((resolve, reject) => {
        const req = http.get(`${server.origin}/hang`, { timeout: 30 }, resolve);
        req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
        req.on('error', reject);
      }),
    );
    expect(err.code).toBe('ETIMEDOUT');
    await settled(stats);
    expect(findMetrics(stats, `http_client.${hostKey(server.port)}.errors.ETIMEDOUT`)).toHaveLength(1);
  });

  it('an error without an app listener still reaches the app as an uncaught error (nothing swallowed)', async () => {
    install();
    const req = http.get(`http://127.0.0.1:${refused}/`);
    // errorMonitor does not count as a listener
    expect(req.listenerCount('error')).toBe(0);
    await new Promise<void>((resolve) => req.on('error', () => resolve()));
    await settled(stats);
    expect(findMetrics(stats, `http_client.${hostKey(refused)}.errors.ECONNREFUSED`)).toHaveLength(1);
  });

  it('uninstall(): later calls are not measured', async () => {
    install();
    inst.uninstall();
    inst.uninstall();
    await get(`${server.origin}/ok`);
    await new Promise((r) => setTimeout(r, 20));
    expect(stats.metrics).toEqual([]);
  });

  it('axios (node:http adapter): names, status, errors; what axios returns and throws is unchanged', async () => {
    const ax = axios.create({ adapter: 'http' });
    const ok0 = await ax.get(`${server.origin}/ok`);
    const e0 = await rejection(ax.get(`${server.origin}/status/503`));
    const r0 = await rejection(ax.get(`http://127.0.0.1:${refused}/`));
    install();
    const ok1 = await ax.get(`${server.origin}/ok`);
    const e1 = await rejection(ax.get(`${server.origin}/status/503`));
    const r1 = await rejection(ax.get(`http://127.0.0.1:${refused}/`));
    const slowRes = await ax.get(`${slow.origin}/slow`);
    expect(slowRes.data).toBe('first;last');
    await settled(stats, 6);

    const { date: _a, ...h0 } = ok0.headers;
    const { date: _b, ...h1 } = ok1.headers;
    expect([ok1.status, ok1.data, h1]).toEqual([ok0.status, ok0.data, h0]);
    expect([e1.constructor, e1.code, e1.message, e1.response?.status, e1.response?.data]).toEqual([
      e0.constructor,
      e0.code,
      e0.message,
      e0.response?.status,
      e0.response?.data,
    ]);
    expect([r1.constructor, r1.code, r1.message]).toEqual([r0.constructor, r0.code, r0.message]);

    const h = hostKey(server.port);
    expect(findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' })).toHaveLength(2);
    expect(findMetrics(stats, `http_client.${h}.response.200`)).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${h}.response.503`)).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${hostKey(refused)}.errors.ECONNREFUSED`)).toHaveLength(1);
    const [slowTimer] = findMetrics(stats, `http_client.${hostKey(slow.port)}.GET`, { type: 'ms' });
    expect(Number(slowTimer?.value)).toBeGreaterThanOrEqual(200);
  });

  it('got: POST with a body, status and errors', async () => {
    install();
    const res = await got.post(`${server.origin}/ok`, { body: 'hello', retry: { limit: 0 } });
    expect(JSON.parse(res.body)).toEqual({ ok: true, method: 'POST' });
    const err = await got(`http://127.0.0.1:${refused}/`, { retry: { limit: 0 } }).catch((e: Error) => e);
    expect((err as Error & { code?: string }).code).toBe('ECONNREFUSED');
    await settled(stats, 4);
    expect(findMetrics(stats, `http_client.${hostKey(server.port)}.POST`, { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, `http_client.${hostKey(refused)}.errors.ECONNREFUSED`)).toHaveLength(1);
  });

  it('Host names resolving to loopback are distinct hosts; the cap sends the rest to __other__', async () => {
    install({ maxHosts: 2 });
    for (const name of ['a.test', 'b.test', 'c.test', 'd.test']) {
      await get(`${server.origin}/ok`, { headers: { host: `${name}:${server.port}` } });
    }
    await get(`http://localhost:${server.port}/ok`);
    await settled(stats, 15);
    const timers = stats.metrics.filter((m) => m.type === 'ms').map((m) => m.name);
    expect(timers).toEqual([
      `http_client.a_test_${server.port}.GET`,
      `http_client.b_test_${server.port}.GET`,
      'http_client.__other__.GET',
      'http_client.__other__.GET',
      'http_client.__other__.GET',
    ]);
  });
});

describe('StatsHttpAgent (explicit opt-in)', () => {
  const stats = createTestClient();
  let server: TestServer;
  let slow: TestServer;
  let refused: number;

  beforeAll(async () => {
    server = await startServer();
    slow = await startServer();
    refused = await closedPort();
  });
  afterAll(async () => {
    await server.close();
    await slow.close();
  });
  afterEach(() => stats.clear());

  it('measures only the requests made through it; keep-alive and not', async () => {
    for (const keepAlive of [true, false]) {
      stats.clear();
      const agent = new StatsHttpAgent({ stats }, { keepAlive });
      try {
        await get(`${server.origin}/ok`, { agent });
        await get(`${server.origin}/status/404`, { agent });
        await get(`${server.origin}/ok`); // global agent: not measured
        await settled(stats, 6);
      } finally {
        agent.destroy();
      }
      const h = hostKey(server.port);
      expect(
        findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' }),
        `keepAlive ${keepAlive}`,
      ).toHaveLength(2);
      expect(findMetrics(stats, `http_client.${h}.response.404`)).toHaveLength(1);
      expect(stats.metrics).toHaveLength(6);
    }
  });

  it('end of body, errors, unchanged results (compared with a plain http.Agent)', async () => {
    const agent = new StatsHttpAgent({ stats });
    const plainAgent = new http.Agent();
    try {
      await get(`${slow.origin}/slow`, { agent });
      await settled(stats);
      const [timer] = findMetrics(stats, `http_client.${hostKey(slow.port)}.GET`, { type: 'ms' });
      expect(Number(timer?.value)).toBeGreaterThanOrEqual(200);

      const h = hostKey(server.port);
      const cases: [string, string][] = [
        [`http://127.0.0.1:${refused}/`, `http_client.${hostKey(refused)}.errors.ECONNREFUSED`],
        [`${server.origin}/reset`, `http_client.${h}.errors.ECONNRESET`],
        [`${server.origin}/midreset`, `http_client.${h}.errors.ECONNRESET`],
      ];
      for (const [url, metric] of cases) {
        stats.clear();
        const plain = await seenError(get(url, { agent: plainAgent }));
        expect(await seenError(get(url, { agent })), url).toEqual(plain);
        await settled(stats);
        expect(findMetrics(stats, metric), url).toHaveLength(1);
        expect(stats.metrics).toHaveLength(1);
      }
      const plainOk = await get(`${server.origin}/ok`, { agent: plainAgent });
      expect(await get(`${server.origin}/ok`, { agent })).toEqual(plainOk);
      // the call ends when the request closes, a moment after the app saw `end`
      await settled(stats, 4);
    } finally {
      agent.destroy();
      plainAgent.destroy();
    }
  });

  it('with instrumentHttpClient installed too, a request through the Agent is counted once', async () => {
    const other = createTestClient();
    const inst = instrumentHttpClient({ stats: other });
    const agent = new StatsHttpAgent({ stats });
    try {
      await get(`${server.origin}/ok`, { agent });
      await get(`${server.origin}/ok`);
      await settled(stats, 3);
      await settled(other, 3);
    } finally {
      inst.uninstall();
      agent.destroy();
    }
    expect(findMetrics(stats, `http_client.${hostKey(server.port)}.GET`)).toHaveLength(1);
    expect(findMetrics(other, `http_client.${hostKey(server.port)}.GET`)).toHaveLength(1);
  });
});
