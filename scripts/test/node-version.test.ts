/**
 * Issue 25: what statskit takes from Node itself, on the Node that runs the suite — CI runs it on
 * Node 20, 22, 24 and 26 (.ci/test-node-versions), so each line below is proven on each of them. Every
 * metric leaves through a real StatsClient over UDP to a socket here, from real HTTP servers and
 * clients on loopback: the Express, Fastify and Koa request metrics (the example apps; the
 * `http.server.*` diagnostics channels), `instrumentFetch()` on the built-in fetch (the
 * `undici:request:*` channels of the undici bundled in this Node), `instrumentHttpClient()` on node:http
 * (`http.client.request.start`), and the runtime collector (`monitorEventLoopDelay`, event-loop utilisation,
 * `process.getActiveResourcesInfo`, ...).
 */
import dgram from 'node:dgram';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { StatsClient } from '@statskit/client';
import { instrumentFetch, instrumentHttpClient } from '@statskit/instrument';
import { collectRuntimeMetrics } from '@statskit/runtime';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

const node = `Node ${process.versions.node} (undici ${process.versions.undici})`;
let socket: dgram.Socket;
let port = 0;
const lines: string[] = [];

beforeAll(async () => {
  socket = dgram.createSocket('udp4');
  socket.on('message', (msg) => lines.push(...msg.toString('utf8').split('\n')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  port = socket.address().port;
});
afterAll(() => socket?.close());

const client = (prefix: string) => new StatsClient({ host: '127.0.0.1', port, prefix, server: 'etsy' });
const sent = (prefix: string) => lines.filter((l) => l.startsWith(`${prefix}.`));

/** Serve `server` on 127.0.0.1:0; GET /users/7 and /boom with the built-in fetch. */
async function drive(server: http.Server): Promise<number[]> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const statuses: number[] = [];
  for (const path of ['/users/7', '/boom']) {
    const res = await fetch(`${base}${path}`);
    await res.arrayBuffer();
    statuses.push(res.status);
  }
  return statuses;
}

describe(`${node}: framework request metrics over real sockets`, () => {
  test('Express (examples/express)', async () => {
    // @ts-expect-error: plain JavaScript example, no declarations
    const { createApp } = await import('../../examples/express/src/server.mjs');
    const stats = client('ex');
    const { app, metrics } = createApp(stats);
    const server = http.createServer(app);
    // the example nests users under /api/v1
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/api/v1/users/7`)).status).toBe(200);
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await metrics.close();
    await stats.close();
    await vi.waitFor(() => {
      expect(
        sent('ex').some((l) => l.startsWith('ex.http.view.api.v1.users._id.GET:') && l.endsWith('|ms')),
      ).toBe(true);
      expect(sent('ex').some((l) => l.startsWith('ex.http.response.500:'))).toBe(true);
    });
  });

  test('Fastify (examples/fastify)', async () => {
    // @ts-expect-error: plain JavaScript example, no declarations
    const { buildApp } = await import('../../examples/fastify/src/server.mjs');
    const stats = client('fy');
    const app = await buildApp({ client: stats });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${app.server.address().port}`;
    expect((await fetch(`${base}/users/7`)).status).toBe(200);
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    await app.close();
    await stats.close();
    await vi.waitFor(() => {
      expect(sent('fy').some((l) => l.startsWith('fy.http.view.users._id.GET:') && l.endsWith('|ms'))).toBe(
        true,
      );
      expect(sent('fy').some((l) => l.startsWith('fy.http.response.500:'))).toBe(true);
    });
  });

  test('Koa (examples/koa)', async () => {
    // @ts-expect-error: plain JavaScript example, no declarations
    const { buildApp } = await import('../../examples/koa/src/server.mjs');
    const stats = client('ko');
    const built = buildApp({ client: stats });
    const server = http.createServer(built.app.callback());
    expect(await drive(server)).toEqual([200, 500]);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await built.stats.close();
    await stats.close();
    await vi.waitFor(() => {
      expect(sent('ko').some((l) => l.startsWith('ko.http.view.users._id.GET:') && l.endsWith('|ms'))).toBe(
        true,
      );
      expect(sent('ko').some((l) => l.startsWith('ko.http.response.500:'))).toBe(true);
    });
  });
});

describe(`${node}: HTTP clients and the runtime collector over real sockets`, () => {
  test('instrumentFetch() on the built-in fetch and instrumentHttpClient() on node:http', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
    const viaFetch = client('fe');
    const viaHttp = client('nh');
    const fetches = instrumentFetch({ stats: viaFetch });
    try {
      const res = await fetch(target);
      expect(await res.text()).toBe('ok');
    } finally {
      fetches.uninstall();
    }
    const https = instrumentHttpClient({ stats: viaHttp });
    try {
      await new Promise<void>((resolve, reject) => {
        http.get(target, (res) => res.resume().on('end', resolve)).on('error', reject);
      });
    } finally {
      https.uninstall();
    }
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await viaFetch.close();
    await viaHttp.close();
    await vi.waitFor(() => {
      for (const p of ['fe', 'nh']) {
        expect(sent(p).some((l) => /^\w+\.http_client\.\S+\.GET:[\d.]+\|ms/.test(l))).toBe(true);
        expect(sent(p).some((l) => /^\w+\.http_client\.\S+\.response\.200:1\|c$/.test(l))).toBe(true);
      }
    });
  });

  test('collectRuntimeMetrics(): event-loop delay and utilisation, heap, active resources', async () => {
    const stats = client('rt');
    const collector = collectRuntimeMetrics(stats, { interval: 50 });
    // a few readings on the grid: the event-loop delay histogram needs samples first
    await new Promise((resolve) => setTimeout(resolve, 400));
    await collector.collect();
    collector.stop();
    await stats.close();
    await vi.waitFor(() => {
      const names = new Set(sent('rt').map((l) => l.slice(0, l.indexOf(':'))));
      for (const name of [
        'rt.runtime.eventloop.delay.p99',
        'rt.runtime.eventloop.utilization',
        'rt.runtime.memory.heap.used',
        'rt.runtime.resources',
      ]) {
        expect(names, `${name} in ${[...names].join(' ')}`).toContain(name);
      }
    });
  });
});
