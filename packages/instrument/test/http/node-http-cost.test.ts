/**
 * Issue 16, item 4: what instrumentHttpClient adds to each node:http call — no listener on the response
 * the app gets, and status counters that can be summed in process (`counterInterval`).
 */
import http from 'node:http';
import { createTestClient, findMetrics } from '@statskit/client/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentHttpClient } from '../../src/http/node-http.js';
import { hostKey, startServer, type TestServer } from './servers.js';

/** GET `url`; resolves with the response's listener counts as the app's callback sees them. */
function listenerCounts(url: string, agent: http.Agent): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      const counts = [res.listenerCount('end'), res.listenerCount('close'), res.listenerCount('error')];
      res.resume();
      res.on('end', () => resolve(counts));
    });
    req.on('error', reject);
  });
}

describe('instrumentHttpClient: per-call cost', () => {
  let server: TestServer;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    agent.destroy();
    await server.close();
  });

  it('adds no listener to the response the app receives', async () => {
    const url = `${server.origin}/ok`;
    const plain = await listenerCounts(url, agent);
    const stats = createTestClient();
    const inst = instrumentHttpClient({ stats });
    try {
      expect(await listenerCounts(url, agent)).toEqual(plain);
    } finally {
      inst.uninstall();
    }
  });

  it('counterInterval: status counters of many calls are one summed line per status', async () => {
    const stats = createTestClient();
    const inst = instrumentHttpClient({ stats, counterInterval: 60_000 });
    try {
      for (let i = 0; i < 3; i++) await listenerCounts(`${server.origin}/ok`, agent);
      const h = hostKey(server.port);
      // the call ends a tick after the app's `end`
      for (let i = 0; i < 100 && findMetrics(stats, `http_client.${h}.GET`).length < 3; i++)
        await new Promise((r) => setTimeout(r, 5));
      expect(findMetrics(stats, `http_client.${h}.GET`, { type: 'ms' })).toHaveLength(3);
      expect(findMetrics(stats, `http_client.${h}.response.200`)).toHaveLength(0); // not yet: summed
      await stats.flush();
      expect(findMetrics(stats, `http_client.${h}.response.200`).map((m) => m.value)).toEqual([3]);
      expect(findMetrics(stats, `http_client.${h}.response.2xx`).map((m) => m.value)).toEqual([3]);
    } finally {
      inst.uninstall();
    }
  });
});
