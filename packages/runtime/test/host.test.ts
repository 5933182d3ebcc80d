/**
 * collectHostMetrics with real effects: a real file written and fsync'd shows in disk bytes, traffic
 * over loopback shows in the `lo` interface's bytes, counters become deltas without a bogus first one.
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { collectHostMetrics, type ThresholdEvent } from '@statskit/runtime';
import { describe, expect, test } from 'vitest';
import { CounterDeltas, mountSegment, parseDiskstats, parseMounts, parseNetDev } from '../src/proc.js';
import { sleep, sumOf, valuesOf } from './helpers.js';

const linux = process.platform === 'linux';

const HOST_GAUGES = [
  'host.memory.total',
  'host.memory.used',
  'host.memory.free',
  'host.memory.percent',
  'host.cpu.percent',
  'host.cpu.user',
  'host.cpu.system',
  'host.load.1',
  'host.load.5',
  'host.load.15',
  'host.disk.root.total',
  'host.disk.root.used',
  'host.disk.root.free',
  'host.disk.root.percent',
];

/** Send `bytes` over a TCP connection on 127.0.0.1 and wait until the server has read them all. */
async function loopbackTraffic(bytes: number): Promise<void> {
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => {
    done = r;
  });
  const server = net.createServer((s) => {
    s.on('data', (d) => {
      received += d.length;
      if (received >= bytes) done();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  const client = net.connect(port, '127.0.0.1');
  client.end(Buffer.alloc(bytes, 1));
  await all;
  client.destroy();
  await new Promise<void>((r) => server.close(() => r()));
}

describe.runIf(linux)('collectHostMetrics on Linux', () => {
  test('traffic over loopback shows in the lo interface bytes in and out; the first reading is a delta, not a total', async () => {
    const stats = createTestClient();
    const host = collectHostMetrics(stats, { interval: 60_000, mounts: false, disks: false });
    const total = parseNetDev(readFileSync('/proc/net/dev', 'utf8')).get('lo')?.bytesIn ?? 0;
    await loopbackTraffic(8 * 1024 * 1024);
    await host.collect();
    const bytesIn = valuesOf(stats.metrics, 'host.net.lo.bytes_in');
    const bytesOut = valuesOf(stats.metrics, 'host.net.lo.bytes_out');
    expect(bytesIn).toHaveLength(1);
    expect(bytesIn[0]).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    expect(bytesOut[0]).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    // the interface's cumulative total was never sent as a delta
    expect(bytesIn[0]).toBeLessThan(total);
    for (const n of ['packets_in', 'packets_out', 'errors_in', 'errors_out', 'drops_in', 'drops_out']) {
      expect(stats.metrics.find((m) => m.name === `host.net.lo.${n}`)?.type, n).toBe('c');
    }
    host.stop();
  });

  test('a real 32 MiB file written with fsync shows in disk write bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statskit-runtime-disk-'));
    try {
      const stats = createTestClient();
      const host = collectHostMetrics(stats, { interval: 60_000, mounts: false, interfaces: false });
      await sleep(20); // baseline read
      const fd = openSync(join(dir, 'blob'), 'w');
      const chunk = Buffer.alloc(1024 * 1024, 7);
      for (let i = 0; i < 32; i++) writeSync(fd, chunk);
      fsyncSync(fd);
      closeSync(fd);
      await host.collect();
      const written = sumOf(stats.metrics, /^host\.diskio\.[^.]+\.write_bytes$/);
      expect(written).toBeGreaterThanOrEqual(32 * 1024 * 1024);
      expect(stats.metrics.some((m) => /^host\.diskio\.[^.]+\.write_time$/.test(m.name))).toBe(true);
      host.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('memory, CPU, load and disk space: every documented gauge; percent within 0..100', async () => {
    const stats = createTestClient();
    const host = collectHostMetrics(stats, { interval: 60_000, mounts: ['/'] });
    await sleep(50);
    await host.collect();
    const names = new Set(stats.metrics.map((m) => m.name));
    for (const n of HOST_GAUGES) expect(names, n).toContain(n);
    for (const n of ['host.memory.percent', 'host.cpu.percent', 'host.disk.root.percent']) {
      const [v] = valuesOf(stats.metrics, n);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(100);
    }
    const [total] = valuesOf(stats.metrics, 'host.memory.total');
    const [used] = valuesOf(stats.metrics, 'host.memory.used');
    const [free] = valuesOf(stats.metrics, 'host.memory.free');
    expect((used ?? 0) + (free ?? 0)).toBe(total);
    host.stop();
  });

  test('tags mode: one name per metric, the mount / device / interface as a tag; thresholds per series', async () => {
    const stats = createTestClient();
    const events: ThresholdEvent[] = [];
    const host = collectHostMetrics(stats, {
      interval: 60_000,
      mode: 'tags',
      mounts: ['/'],
      thresholds: { 'disk.percent': { above: 0 }, 'memory.total': { below: 1 } },
      onThreshold: (e) => events.push(e),
    });
    await loopbackTraffic(1024 * 1024);
    await host.collect();
    expect(stats.metrics.find((m) => m.name === 'host.disk.percent')?.tags).toEqual({ mount: '/' });
    expect(
      stats.metrics.find((m) => m.name === 'host.net.bytes_in' && m.tags.interface === 'lo'),
    ).toBeDefined();
    expect(events.map((e) => [e.name, e.tags, e.state])).toEqual([
      ['host.disk.percent', { mount: '/' }, 'breach'],
    ]);
    expect(stats.metrics.find((m) => m.name === 'host.disk.percent.threshold.breach')?.tags).toEqual({
      mount: '/',
    });
    host.stop();
  });

  test('stats.close() stops the collector; nothing is read or sent afterwards', async () => {
    const stats = createTestClient();
    const host = collectHostMetrics(stats, { interval: 30 });
    await sleep(120);
    const n = valuesOf(stats.metrics, 'host.memory.used').length;
    expect(n).toBeGreaterThanOrEqual(1);
    await stats.close();
    expect(host.active).toBe(false);
    await sleep(90);
    expect(valuesOf(stats.metrics, 'host.memory.used').length).toBe(n);
  });
});

describe('counters to deltas', () => {
  test('the first reading is a baseline, later ones deltas; a reset reports nothing; a 32-bit wrap is unwrapped', () => {
    const d = new CounterDeltas();
    expect(d.delta('a', 1_000_000)).toBeUndefined();
    expect(d.delta('a', 1_000_500)).toBe(500);
    expect(d.delta('a', 1_000_500)).toBe(0);
    expect(d.delta('a', 20)).toBeUndefined(); // reset (a device re-created, a reboot of a counter)
    expect(d.delta('a', 50)).toBe(30);
    expect(d.delta('w', 2 ** 32 - 100)).toBeUndefined();
    expect(d.delta('w', 300)).toBe(400); // wrapped past 2^32
  });

  test('parsers read the kernel formats', () => {
    const disk = parseDiskstats('   8       0 sda 10 0 2048 7 20 0 4096 9 0 12 16 0 0 0 0 0 0\n');
    expect(disk.get('sda')).toEqual({
      readBytes: 2048 * 512,
      readTime: 7,
      writeBytes: 4096 * 512,
      writeTime: 9,
    });
    const netdev = parseNetDev(
      'Inter-|   Receive\n face |bytes\n  eth0: 100 2 3 4 0 0 0 0 200 5 6 7 0 0 0 0\n',
    );
    expect(netdev.get('eth0')).toEqual({
      bytesIn: 100,
      packetsIn: 2,
      errorsIn: 3,
      dropsIn: 4,
      bytesOut: 200,
      packetsOut: 5,
      errorsOut: 6,
      dropsOut: 7,
    });
    expect(
      parseMounts(
        '/dev/sda1 / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/loop0 /snap/x squashfs ro 0 0\n/dev/sdb1 /mnt/my\\040disk xfs rw 0 0\n',
      ),
    ).toEqual(['/', '/mnt/my disk']);
    expect(mountSegment('/')).toBe('root');
    expect(mountSegment('/var/lib/')).toBe('var_lib');
  });

  test('invalid options throw InvalidOptionError', () => {
    const stats = createTestClient();
    expect(() => collectHostMetrics(stats, { mounts: '/' as unknown as string[] })).toThrow(
      InvalidOptionError,
    );
    expect(() => collectHostMetrics(stats, { interval: 5 })).toThrow(InvalidOptionError);
  });
});
