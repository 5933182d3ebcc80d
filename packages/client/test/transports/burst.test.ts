/**
 * A start-up burst with a healthy server: a fresh client sends 100 000 lines synchronously, then
 * close() — what a batch job or cron does before it exits. The first connect is asynchronous (even for
 * an IP address), so everything waits for it; nothing may be lost to it (issue 12, item 18).
 */
import type { StatsClient } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';
import { type UdpReceiver, udpReceiver } from '../helpers/udp-receiver.js';
import { client, noUnhandledErrors } from './helpers.js';

const N = 100_000;

/** Send N distinct counters (no aggregation, ~1.6 MB: more than the default 1 MiB maxQueueBytes). */
function burst(stats: StatsClient): void {
  for (let i = 0; i < N; i++) stats.incr(`burst.${i}`);
}

/** Lines received so far, counted incrementally (the receiver's `lines` re-splits every packet). */
function lineCounter(rx: UdpReceiver): () => number {
  let seen = 0;
  let count = 0;
  return () => {
    const packets = rx.packets;
    for (; seen < packets.length; seen++) count += (packets[seen]?.text.split('\n').length ?? 0) as number;
    return count;
  };
}

function expectNothingDropped(stats: StatsClient, n = N): void {
  const t = stats.telemetry();
  expect(t.droppedBy).toEqual({
    invalid: 0,
    tooLarge: 0,
    closed: 0,
    queueFull: 0,
    sendError: 0,
    dns: 0,
    overflow: 0,
  });
  expect(t).toMatchObject({ metrics: n, linesSent: n, linesDropped: 0, queueBytes: 0 });
}

describe('a burst before the first connect completes, then close()', () => {
  noUnhandledErrors();

  // The receiver reads in this process, after close() resolves: its 4 MiB receive buffer (8 MiB of
  // kernel memory on Linux) holds the whole burst, so a missing line would be the client's doing.
  test.each([
    ['an IP address', '127.0.0.1'],
    ['a host name (DNS lookup first)', 'localhost'],
  ])('udp to %s: every line is sent and received', async (_what, host) => {
    await using rx = await udpReceiver();
    const received = lineCounter(rx);
    const { stats, errors } = client({ host, family: 4, port: rx.port });
    burst(stats);
    await stats.close();
    expectNothingDropped(stats);
    await rx.waitFor(() => received() >= N, 5000);
    expect(received()).toBe(N);
    expect(errors).toEqual([]);
  });

  test('tcp: every line is sent and received', async () => {
    await using srv = await streamServer();
    const { stats, errors } = client({ protocol: 'tcp', host: '127.0.0.1', port: srv.port });
    burst(stats);
    await stats.close();
    expectNothingDropped(stats);
    await srv.waitFor(() => srv.lines.length >= N, 10_000, 'the burst');
    expect(srv.lines.length).toBe(N);
    expect(srv.lines[0]).toBe('burst.0:1|c');
    expect(srv.lines.at(-1)).toBe(`burst.${N - 1}:1|c`);
    expect(errors).toEqual([]);
  });

  test('tcp: what queued while connecting may exceed maxQueueBytes until it has drained; more sent meanwhile is kept', async () => {
    await using srv = await streamServer({ paused: true }); // the kernel buffers fill, then the queue
    const maxQueueBytes = 256 * 1024;
    const first = 4 * N; // ~6.8 MB: more than loopback's kernel buffers take, under 32 × 256 KiB
    const total = first + 1000;
    const { stats, errors } = client({ protocol: 'tcp', host: '127.0.0.1', port: srv.port, maxQueueBytes });
    for (let i = 0; i < first; i++) stats.incr(`burst.${i}`);
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve)); // connected
    expect(stats.telemetry().queueBytes).toBeGreaterThan(maxQueueBytes); // still waiting to be written
    for (let i = first; i < total; i++) stats.incr(`burst.${i}`);
    srv.resume();
    await stats.close();
    expectNothingDropped(stats, total);
    await srv.waitFor(() => srv.lines.length >= total, 10_000, 'both bursts');
    expect(srv.lines.length).toBe(total);
    expect(errors).toEqual([]);
  });

  test('the wait while connecting is bounded too: beyond 32 × maxQueueBytes, dropped and counted', async () => {
    await using srv = await streamServer();
    const maxQueueBytes = 16 * 1024; // 512 KiB while connecting: less than the burst
    const { stats, codes } = client({ protocol: 'tcp', host: '127.0.0.1', port: srv.port, maxQueueBytes });
    burst(stats);
    expect(stats.telemetry().queueBytes).toBeLessThanOrEqual(32 * maxQueueBytes);
    await stats.close();
    const t = stats.telemetry();
    expect(t.droppedBy.queueFull).toBeGreaterThan(0);
    expect(codes()).toEqual(['STATSKIT_ERR_QUEUE_FULL']);
    await srv.waitFor(() => srv.lines.length >= t.linesSent, 5000, 'what was kept');
    expect(srv.lines.length).toBe(t.linesSent);
    expect(t.linesSent + t.linesDropped).toBe(N);
  });
});
