/**
 * Multi-value lines: with aggregation on and a known server, the samples of one timer/histogram/
 * distribution (per name, tags, rate) share one line — DogStatsD 1.1 `name:1:2|ms`, etsy statsd
 * `name:1|ms:2|ms` — and every sample reaches the server.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type StatsdDaemon, startStatsd } from './helpers/statsd-daemon.js';

function calls(stats: StatsClient): void {
  for (const v of [1, 2.5, 3]) stats.timing('t', v, { tags: { route: 'a' } });
  stats.histogram('h', 4, { rate: 0.5 });
  stats.histogram('h', 5, { rate: 0.5 });
  stats.histogram('h', 6);
}

describe('multi-value lines, byte for byte', () => {
  const always = (): number => 0;

  test("server 'dogstatsd': name:v1:v2|type[|@rate][|#tags] (protocol 1.1)", async () => {
    const stats = createTestClient({ server: 'dogstatsd', aggregate: true, random: always });
    calls(stats);
    expect(stats.lines).toEqual([]);
    await stats.flush();
    expect(stats.lines).toEqual(['t:1:2.5:3|ms|#route:a', 'h:4:5|h|@0.5', 'h:6|h']);
  });

  test("server 'etsy': name:v1|type[|@rate]:v2|type[|@rate]", async () => {
    const stats = createTestClient({ server: 'etsy', aggregate: true, random: always });
    calls(stats);
    await stats.flush();
    expect(stats.lines).toEqual(['t;route=a:1|ms:2.5|ms:3|ms', 'h:4|ms|@0.5:5|ms|@0.5', 'h:6|ms']);
  });

  test("server 'telegraf': the etsy form, which Telegraf's parser reads bit by bit", async () => {
    const stats = createTestClient({ server: 'telegraf', aggregate: true, random: always });
    calls(stats);
    await stats.flush();
    expect(stats.lines).toEqual(['t,route=a:1|ms:2.5|ms:3|ms', 'h:4|h|@0.5:5|h|@0.5', 'h:6|h']);
  });

  test("server 'statsd_exporter': the DogStatsD form, which it reads with or without tags", async () => {
    const stats = createTestClient({ server: 'statsd_exporter', aggregate: true, random: always });
    calls(stats);
    await stats.flush();
    expect(stats.lines).toEqual(['t:1:2.5:3|ms|#route:a', 'h:4:5|h|@0.5', 'h:6|h']);
  });

  test('no server named, any tag format, or collectd, or multiValue: false: one line per sample', async () => {
    for (const options of [
      {},
      { tagFormat: 'telegraf' },
      { tagFormat: 'graphite' },
      { tagFormat: 'none' },
      { server: 'collectd' },
      { server: 'dogstatsd', aggregate: { multiValue: false } },
    ] as const) {
      const stats = createTestClient({ aggregate: true, random: always, ...options });
      stats.timing('t', 1);
      stats.timing('t', 2);
      await stats.flush();
      expect(stats.lines).toEqual(['t:1|ms', 't:2|ms']);
    }
  });

  test('multiValue: true needs a server that reads a multi-value form: an InvalidOptionError says which', () => {
    expect(() => createTestClient({ aggregate: { multiValue: true } })).toThrow(
      /aggregate.multiValue needs the server named \(server: 'dogstatsd' \| 'etsy'/,
    );
    expect(() => createTestClient({ server: 'collectd', aggregate: { multiValue: true } })).toThrow(
      /server 'collectd' reads no multi-value line/,
    );
    const named = createTestClient({ server: 'etsy', aggregate: { multiValue: true } });
    named.timing('t', 1);
    named.timing('t', 2);
    return named.flush().then(() => expect(named.lines).toEqual(['t:1|ms:2|ms']));
  });

  test('a line never outgrows a packet: it is sent when the next sample would not fit', async () => {
    const stats = createTestClient({ server: 'dogstatsd', aggregate: true, maxPacketSize: 64 });
    for (let i = 0; i < 100; i++) stats.timing('latency', 1000 + i);
    await stats.flush();
    expect(stats.lines.length).toBeGreaterThan(5);
    for (const l of stats.lines) {
      expect(Buffer.byteLength(l)).toBeLessThanOrEqual(64);
      expect(l).toMatch(/^latency(:\d+)+\|ms$/);
    }
    const values = stats.lines.flatMap((l) => l.slice('latency:'.length, -'|ms'.length).split(':'));
    expect(values.map(Number)).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
  });
});

describe.each(['udp', 'tcp'] as const)(
  "server: 'etsy' on the real etsy statsd daemon over %s",
  (protocol) => {
    let daemon: StatsdDaemon;
    beforeAll(async () => {
      daemon = await startStatsd({ flushInterval: 250 });
    });
    afterAll(async () => {
      await daemon?.stop();
    });

    test.each([
      ['one line per sample', false],
      ['multi-value lines', true],
    ] as const)(
      'timer count/mean/upper/upper_90/sum are the same: %s',
      async (_, multiValue) => {
        const errors: StatsError[] = [];
        const p = `mv_${protocol}_${multiValue}`;
        const port = protocol === 'udp' ? daemon.udpPort : daemon.tcpPort;
        const stats = new StatsClient({
          protocol,
          port,
          prefix: p,
          server: 'etsy',
          aggregate: { multiValue },
          random: () => 0, // every sampled call kept
          onError: (e) => errors.push(e),
        });
        await daemon.nextFlush();
        for (let ms = 1; ms <= 100; ms++) stats.timing('latency', ms);
        for (let i = 0; i < 20; i++) stats.histogram('sampled', 7, { rate: 0.5 });
        await stats.close();
        expect(errors).toEqual([]);
        const v = (path: string, want: number): Promise<number> =>
          daemon.waitForValue(path, (x) => x === want);
        await expect(v(`stats.timers.${p}.latency.count`, 100)).resolves.toBe(100);
        await expect(v(`stats.timers.${p}.latency.mean`, 50.5)).resolves.toBe(50.5);
        await expect(v(`stats.timers.${p}.latency.upper`, 100)).resolves.toBe(100);
        await expect(v(`stats.timers.${p}.latency.upper_90`, 90)).resolves.toBe(90);
        await expect(v(`stats.timers.${p}.latency.sum`, 5050)).resolves.toBe(5050);
        // 20 samples sent at rate 0.5: each counts 2 (summed over flushes: the burst may straddle one)
        await daemon.waitForValue(`stats.timers.${p}.sampled.count`);
        await daemon.nextFlush();
        await daemon.nextFlush();
        expect(daemon.sum(`stats.timers.${p}.sampled.count`)).toBe(40);
        expect(daemon.sum('stats.counters.statsd.bad_lines_seen.count')).toBe(0);
        const packets = stats.telemetry().linesSent;
        if (multiValue) expect(packets).toBeLessThan(10);
        else expect(packets).toBeGreaterThanOrEqual(120);
      },
      20_000,
    );
  },
);
