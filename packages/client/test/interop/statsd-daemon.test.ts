/**
 * The proof that our wire format is what a real server understands: the etsy statsd daemon (npm
 * `statsd` 0.9) runs as a child process, we send over UDP and over TCP, and check what it flushed to
 * its Graphite backend — and that it counted no bad line.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StatsdDaemon, startStatsd } from '../helpers/statsd-daemon.js';

let daemon: StatsdDaemon;
beforeAll(async () => {
  daemon = await startStatsd({ flushInterval: 250 });
});
afterAll(async () => {
  await daemon?.stop();
});

/** 0.1, 0.9, 0.1, 0.9, …: exactly every other call passes a 0.5 sample rate. */
function alternating(): () => number {
  let i = 0;
  return () => (i++ % 2 === 0 ? 0.1 : 0.9);
}

describe.each(['udp', 'tcp'] as const)('etsy statsd daemon over %s', (protocol) => {
  const port = (): number => (protocol === 'udp' ? daemon.udpPort : daemon.tcpPort);

  // The same calls with client-side aggregation (the default) and without (`aggregate: false`): the
  // daemon must flush identical values. `server: 'etsy'`, as the README tells an etsy user: aggregated
  // timer samples then go as etsy multi-value lines (`name:1|ms:2|ms`).
  test.each([
    ['raw lines (aggregate: false)', false],
    ['aggregated (the default)', undefined],
  ] as const)(
    'counters, sampled counters, timers, gauges and sets flush to the values we sent: %s',
    async (_, aggregate) => {
      const errors: StatsError[] = [];
      const p = `interop_${protocol}_${aggregate === false ? 'raw' : 'agg'}`;
      const stats = new StatsClient({
        server: 'etsy',
        aggregate,
        protocol,
        host: '127.0.0.1',
        port: port(),
        prefix: p,
        random: alternating(),
        onError: (e) => errors.push(e),
      });
      // Start right after a flush, so the whole burst lands in one flush interval.
      await daemon.nextFlush();
      for (let i = 0; i < 100; i++) stats.incr('hits');
      stats.decr('hits', 10);
      for (let i = 0; i < 100; i++) stats.incr('sampled', 1, { rate: 0.5 }); // 50 sent, each counts 2
      for (let ms = 1; ms <= 100; ms++) stats.timing('latency', ms);
      for (let i = 0; i < 20; i++) stats.timing('sampled_latency', 7, { rate: 0.5 }); // 10 sent, count 20
      stats.gauge('abs', 10);
      stats.gaugeDelta('abs', 5);
      stats.gaugeDelta('abs', -3);
      stats.gauge('neg', 5);
      stats.gauge('neg', -7); // `neg:0|g` then `neg:-7|g`: absolute, not a delta
      stats.gauge('float', 0.25);
      for (const u of ['ann', 'bob', 'ann', 'cyd', 'bob']) stats.set('users', u);
      for (const n of [1, 2, 2, 3]) stats.set('ids', n);
      stats.incr('tagged', 3, { tags: { route: 'home' } }); // DogStatsD tags → Graphite `;route=home`
      await stats.close();
      expect(errors).toEqual([]);

      const v = (path: string, expected: number): Promise<number> =>
        daemon.waitForValue(path, (x) => x === expected);
      await expect(v(`stats.counters.${p}.hits.count`, 90)).resolves.toBe(90);
      await expect(v(`stats.counters.${p}.sampled.count`, 100)).resolves.toBe(100);
      await expect(v(`stats.timers.${p}.latency.count`, 100)).resolves.toBe(100);
      await expect(v(`stats.timers.${p}.latency.upper_90`, 90)).resolves.toBe(90);
      await expect(v(`stats.timers.${p}.latency.upper`, 100)).resolves.toBe(100);
      await expect(v(`stats.timers.${p}.latency.lower`, 1)).resolves.toBe(1);
      await expect(v(`stats.timers.${p}.latency.sum`, 5050)).resolves.toBe(5050);
      await expect(v(`stats.timers.${p}.latency.mean`, 50.5)).resolves.toBe(50.5);
      await expect(v(`stats.timers.${p}.sampled_latency.count`, 20)).resolves.toBe(20);
      await expect(v(`stats.gauges.${p}.abs`, 12)).resolves.toBe(12);
      await expect(v(`stats.gauges.${p}.neg`, -7)).resolves.toBe(-7);
      await expect(v(`stats.gauges.${p}.float`, 0.25)).resolves.toBe(0.25);
      await expect(v(`stats.sets.${p}.users.count`, 3)).resolves.toBe(3);
      await expect(v(`stats.sets.${p}.ids.count`, 3)).resolves.toBe(3);
      await expect(v(`stats.counters.${p}.tagged.count;route=home`, 3)).resolves.toBe(3);
      // Counted once, never split or merged into another key.
      expect(daemon.sum(`stats.counters.${p}.hits.count`)).toBe(90);
      expect(daemon.sum(`stats.counters.${p}.sampled.count`)).toBe(100);
      expect(daemon.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
      expect(stats.telemetry()).toMatchObject({ sampledOut: 60, linesDropped: 0, queueBytes: 0 });
      // by default the counters, gauges and sets were folded in process (110 + 3 + 3 + … calls, a few lines)
      expect(stats.telemetry().aggregated > 0).toBe(aggregate === undefined);
    },
  );

  test('a burst of many packets arrives complete: every counter adds up', async () => {
    const p = `burst_${protocol}`;
    const stats = new StatsClient({ aggregate: false, protocol, host: '127.0.0.1', port: port(), prefix: p });
    // 20 keys × 500 increments, interleaved: ~70 full packets. UDP may lose datagrams when the daemon's
    // receive buffer overflows (a single-threaded reader), so the UDP run is paced; TCP is not.
    for (let i = 0; i < 500; i++) {
      for (let k = 0; k < 20; k++) stats.incr(`k${k}`, 1);
      if (protocol === 'udp' && i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await stats.close();
    for (let k = 0; k < 20; k++) {
      await daemon.waitForValue(`stats.counters.${p}.k${k}.count`);
    }
    // The burst may straddle a flush: sum over flushes once a flush with none of our keys went by.
    await daemon.nextFlush();
    await daemon.nextFlush();
    for (let k = 0; k < 20; k++) expect(daemon.sum(`stats.counters.${p}.k${k}.count`)).toBe(500);
    expect(stats.telemetry().packetsSent).toBeGreaterThan(10);
    expect(daemon.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
  });

  test('telemetryInterval: the client reports its own counters through the same socket', async () => {
    const stats = new StatsClient({
      aggregate: false,
      protocol,
      host: '127.0.0.1',
      port: port(),
      prefix: 'ignored_for_telemetry',
      tags: { app: 'interop' },
      telemetryInterval: 50,
    });
    for (let i = 0; i < 10; i++) stats.incr('work');
    await daemon.waitForValue(
      `stats.counters.statskit.client.lines_sent.count;app=interop;transport=${protocol}`,
    );
    await daemon.waitForValue(`stats.gauges.statskit.client.queue_bytes;app=interop;transport=${protocol}`);
    await stats.close();
    await daemon.nextFlush();
    await daemon.nextFlush();
    // Deltas add up to what the client counted (the last emission happens in close()).
    const t = stats.telemetry();
    const sum = (name: string): number =>
      daemon.sum(`stats.counters.statskit.client.${name}.count;app=interop;transport=${protocol}`);
    expect(sum('metrics')).toBeGreaterThanOrEqual(10);
    expect(sum('lines_sent')).toBeLessThanOrEqual(t.linesSent);
    expect(sum('lines_sent')).toBeGreaterThanOrEqual(10);
    expect(daemon.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
  });
});

describe('names the etsy daemon would rewrite (issue 12, item 6; docs/protocol.md)', () => {
  test('tagFormat graphite: the daemon stores the name exactly as statskit sent it', async () => {
    const stats = new StatsClient({
      aggregate: false,
      host: '127.0.0.1',
      port: daemon.udpPort,
      tagFormat: 'graphite',
    });
    stats.incr('names GET /users (v2)', 1, { tags: { route: 'home' } });
    await stats.close();
    // space, '/', '(' and ')' were replaced by statskit; the daemon had nothing left to strip
    await expect(daemon.waitForValue('stats.counters.names_GET__users__v2_.count;route=home')).resolves.toBe(
      1,
    );
  });
});
