/**
 * Client-side aggregation is on by default: counters summed, gauges folded, sets de-duplicated per
 * (name, tags), sent every `aggregate.interval` (1 s) and on flush()/close(). `aggregate: false` gives
 * one line per call; the testing subpath's `createTestClient()` stays raw.
 */
import { StatsClient } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { type UdpReceiver, udpReceiver } from './helpers/udp-receiver.js';

let rx: UdpReceiver;
beforeEach(async () => {
  rx = await udpReceiver();
});
afterEach(async () => {
  await rx.close();
});

function calls(stats: StatsClient): void {
  for (let i = 0; i < 1000; i++) stats.incr('hits');
  for (let i = 0; i < 10; i++) stats.incr('tagged', 2, { tags: { route: 'a' } });
  stats.gauge('level', 3);
  stats.gaugeDelta('level', -1);
  for (const u of ['ann', 'bob', 'ann']) stats.set('users', u);
}

describe('aggregation on by default', () => {
  test('a default client sends one line per (name, tags) on flush()', async () => {
    const stats = new StatsClient({ host: rx.address, port: rx.port });
    calls(stats);
    await stats.flush();
    await rx.waitForLines(5);
    expect(rx.lines.sort()).toEqual([
      'hits:1000|c',
      'level:2|g',
      'tagged:20|c|#route:a',
      'users:ann|s',
      'users:bob|s',
    ]);
    expect(stats.telemetry().aggregated).toBe(1015);
    await stats.close();
  });

  test('without flush(), the interval (1 s by default) sends it', async () => {
    const stats = new StatsClient({ host: rx.address, port: rx.port });
    stats.incr('soon', 5);
    await rx.waitForLines(1, 3000);
    expect(rx.lines).toEqual(['soon:5|c']);
    await stats.close();
  });

  test('aggregate: false restores one line per call', async () => {
    const stats = new StatsClient({ host: rx.address, port: rx.port, aggregate: false });
    calls(stats);
    await stats.close();
    await rx.waitForLines(1015);
    expect(rx.lines.filter((l) => l === 'hits:1|c')).toHaveLength(1000);
    expect(stats.telemetry().aggregated).toBe(0);
  });

  test('createTestClient() stays raw: each call is one line at once', () => {
    const stats = createTestClient();
    stats.incr('a');
    stats.incr('a');
    expect(stats.lines).toEqual(['a:1|c', 'a:1|c']);
    const agg = createTestClient({ aggregate: true });
    agg.incr('a');
    agg.incr('a');
    expect(agg.lines).toEqual([]);
  });
});
