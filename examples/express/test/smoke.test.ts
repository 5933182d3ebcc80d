/**
 * The example app on port 0 with a real StatsClient sending over UDP to a receiver on loopback (the
 * client reads STATSD_HOST / STATSD_PORT, as in production): the metrics arrive, keyed by template.
 */
import dgram from 'node:dgram';
import { StatsClient } from '@statskit/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
// @ts-expect-error: plain JavaScript example, no declarations
import { start } from '../src/server.mjs';

let socket: dgram.Socket;
const lines: string[] = [];
let app: { url: string; close(): Promise<void> };

beforeAll(async () => {
  socket = dgram.createSocket('udp4');
  socket.on('message', (msg) => lines.push(...msg.toString('utf8').split('\n')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const env = { STATSD_HOST: '127.0.0.1', STATSD_PORT: String(socket.address().port) };
  app = await start({ port: 0, stats: new StatsClient({ prefix: 'example', server: 'etsy', env }) });
});

afterAll(async () => {
  await app?.close();
  socket?.close();
});

it('sends request metrics over UDP, keyed by route template', async () => {
  const get = (path: string, init?: RequestInit) => fetch(`${app.url}${path}`, init).then((r) => r.status);
  expect(await get('/api/v1/users/1')).toBe(200);
  expect(await get('/api/v1/users/2')).toBe(200);
  expect(await get('/api/v1/users/2/orders/9')).toBe(200);
  expect(
    await get('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"ada"}',
    }),
  ).toBe(201);
  expect(await get('/boom')).toBe(500);
  expect(await get('/teapot')).toBe(418);
  expect(await get('/no/such/page')).toBe(404);
  expect(await get('/healthz')).toBe(200);
  await app.close(); // flushes the summed counters and the client

  // statsd sums counters: the app sends them summed per second, maybe over several lines.
  const counted = (name: string): number =>
    lines
      .filter((l) => l.startsWith(`${name}:`) && l.endsWith('|c'))
      .reduce((sum, l) => sum + Number(l.slice(name.length + 1, -2)), 0);
  // timer samples: several per line (`name:1|ms:2|ms`, etsy multi-value), or one
  const samples = (l: string): number => l.split('|ms').length - 1;
  const timers = (name: string): number =>
    lines
      .filter((l) => l.startsWith(`${name}:`) && l.endsWith('|ms'))
      .reduce((sum, l) => sum + samples(l), 0);
  await vi.waitFor(() => {
    expect(timers('example.http.view.api.v1.users._id.GET')).toBe(2);
    expect(timers('example.http.view.api.v1.users._id.orders._orderId.GET')).toBe(1);
    expect(timers('example.http.view.api.v1.users.POST')).toBe(1);
    expect(counted('example.http.view.api.v1.users._id.response.200')).toBe(2);
    expect(counted('example.http.view.boom.response.500')).toBe(1);
    expect(counted('example.http.view.teapot.response.418')).toBe(1);
    expect(counted('example.http.view.__unmatched__.response.404')).toBe(1);
    expect(counted('example.http.errors')).toBe(2);
    expect(counted('example.http.response.2xx')).toBe(4);
    expect(counted('example.signups')).toBe(1);
  });
  expect(timers('example.http.request')).toBe(7);
  expect(lines.some((l) => l.includes('healthz'))).toBe(false);
});
