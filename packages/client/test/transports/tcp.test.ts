import { ErrorCodes } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { freePort } from '../helpers/statsd-daemon.js';
import { streamServer } from '../helpers/stream-server.js';
import { client, expectAccounted, gc, noUnhandledErrors, sleep, tick } from './helpers.js';

describe('tcp transport', () => {
  noUnhandledErrors();

  test('connects on the first send and writes newline-terminated packets', async () => {
    await using srv = await streamServer();
    const { stats, errors } = client({ protocol: 'tcp', host: '127.0.0.1', port: srv.port });
    await sleep(50);
    expect(srv.accepted).toBe(0); // lazy: nothing before the first send
    stats.incr('a');
    stats.gauge('b', 2, { tags: { env: 'x' } });
    await stats.flush();
    stats.timing('c', 1.5);
    await stats.close();
    await srv.waitFor(() => srv.lines.length === 3);
    expect(srv.lines).toEqual(['a:1|c', 'b:2|g|#env:x', 'c:1.5|ms']);
    expect(srv.accepted).toBe(1);
    const t = stats.telemetry();
    expect(t).toMatchObject({ packetsSent: 2, linesSent: 3, packetsDropped: 0, queueBytes: 0 });
    expect(t.bytesSent).toBe(Buffer.byteLength('a:1|c\nb:2|g|#env:x') + Buffer.byteLength('c:1.5|ms'));
    expect(errors).toEqual([]);
  });

  test('resolves a host name (localhost)', async () => {
    await using srv = await streamServer();
    const { stats, errors } = client({ protocol: 'tcp', host: 'localhost', family: 4, port: srv.port });
    stats.incr('named');
    await stats.close();
    await srv.waitFor(() => srv.lines.length === 1);
    expect(srv.lines).toEqual(['named:1|c']);
    expect(errors).toEqual([]);
  });

  test('server down at start: packets queue (bounded), overflow is counted, sending resumes when it comes up', async () => {
    const port = await freePort();
    const maxQueueBytes = 4096;
    const { stats, codes } = client({ protocol: 'tcp', host: '127.0.0.1', port, maxQueueBytes });
    for (let i = 0; i < 2000; i++) stats.incr('early', 1, { tags: { i } });
    await stats.flush(); // the connect attempt fails: flush does not wait for a reconnect
    let t = stats.telemetry();
    expect(t.queueBytes).toBeGreaterThan(0);
    expect(t.queueBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(t.droppedBy.queueFull).toBeGreaterThan(0);
    expect(codes()).toContain(ErrorCodes.CONNECT);
    expect(codes()).toContain(ErrorCodes.QUEUE_FULL);
    const queuedLines = t.metrics - t.linesDropped;

    await sleep(300); // a few failed reconnects: each is counted, not reported again
    expect(codes().filter((c) => c === ErrorCodes.CONNECT)).toHaveLength(1);

    await using srv = await streamServer({ port });
    await srv.waitFor(
      () => srv.lines.length === queuedLines,
      5000,
      'the queue to be written after reconnect',
    );
    stats.incr('later');
    await stats.flush();
    await srv.waitFor(() => srv.lines.includes('later:1|c'));
    await stats.close();
    t = stats.telemetry();
    expect(t.queueBytes).toBe(0);
    expect(t.linesSent).toBe(srv.lines.length);
    expectAccounted(stats);
  });

  test('server killed and restarted mid-stream: sending resumes after reconnect', async () => {
    await using srv = await streamServer();
    const { stats, codes } = client({ protocol: 'tcp', host: '127.0.0.1', port: srv.port, flushInterval: 5 });
    let seq = 0;
    const timer = setInterval(() => stats.incr('seq', 1, { tags: { n: seq++ } }), 2);
    await srv.waitFor(() => srv.lines.length > 20);
    // Past the 1 s a connection needs to be confirmed: its writes stay counted as sent when it breaks.
    await sleep(1100);
    await srv.stop();
    const seqAtStop = seq;
    await sleep(400);
    await srv.start();
    await srv.waitFor(
      () => srv.lines.some((l) => Number(l.split('#n:')[1]) > seqAtStop + 20),
      5000,
      'lines sent after the restart',
    );
    clearInterval(timer);
    await stats.close();
    expect(srv.accepted).toBeGreaterThanOrEqual(2);
    expect(codes()).toContain(ErrorCodes.CONNECT); // refused while it was down
    expect(codes().every((c) => [ErrorCodes.CONNECT, ErrorCodes.SOCKET].includes(c as never))).toBe(true);
    const t = stats.telemetry();
    expect(t.queueBytes).toBe(0);
    expectAccounted(stats);
    // Everything written after reconnecting arrived; what was lost is counted as dropped.
    expect(srv.lines.length).toBeLessThanOrEqual(t.linesSent);
  });

  test('a reader that stops reading: the queue stays under maxQueueBytes, overflow is dropped and counted', async () => {
    await using srv = await streamServer({ paused: true });
    const maxQueueBytes = 64 * 1024;
    const { stats, codes } = client({
      protocol: 'tcp',
      host: '127.0.0.1',
      port: srv.port,
      maxQueueBytes,
      maxPacketSize: 8192,
      closeTimeout: 200,
    });
    let maxSeen = 0;
    // ~24 MB of lines, in bursts, yielding so the socket can fill the kernel buffers.
    for (let burst = 0; burst < 40; burst++) {
      for (let i = 0; i < 20_000; i++) stats.incr('pressure.metric.name', i);
      await tick();
      maxSeen = Math.max(maxSeen, stats.telemetry().queueBytes);
    }
    const t = stats.telemetry();
    expect(maxSeen).toBeLessThanOrEqual(maxQueueBytes);
    expect(t.droppedBy.queueFull).toBeGreaterThan(0);
    expect(codes()).toContain(ErrorCodes.QUEUE_FULL);
    // The reader comes back: what was queued drains, flush resolves, sending resumes.
    srv.resume();
    await stats.flush();
    expect(stats.telemetry().queueBytes).toBe(0);
    stats.incr('after.pressure');
    await stats.close();
    await srv.waitFor(() => srv.lines.at(-1) === 'after.pressure:1|c', 5000);
    expect(srv.lines.length).toBe(stats.telemetry().linesSent);
    expectAccounted(stats);
  });

  test('close() with a reader that never reads gives up after closeTimeout and drops what is pending', async () => {
    await using srv = await streamServer({ paused: true });
    const { stats, codes } = client({
      protocol: 'tcp',
      host: '127.0.0.1',
      port: srv.port,
      maxPacketSize: 8192,
      closeTimeout: 150,
    });
    for (let burst = 0; burst < 30; burst++) {
      for (let i = 0; i < 20_000; i++) stats.incr('stuck.metric.name', i);
      await tick();
    }
    const started = Date.now();
    await stats.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(codes()).toContain(ErrorCodes.CLOSE_TIMEOUT);
    const t = stats.telemetry();
    expect(t.queueBytes).toBe(0);
    expect(t.droppedBy.closed).toBeGreaterThan(0);
    expectAccounted(stats);
  });

  test('close() while the server is down resolves promptly and counts what was queued', async () => {
    const port = await freePort();
    const { stats, codes } = client({ protocol: 'tcp', host: '127.0.0.1', port });
    stats.incr('never');
    const started = Date.now();
    await stats.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(codes()).toEqual([ErrorCodes.CONNECT]);
    expect(stats.telemetry()).toMatchObject({ linesDropped: 1, queueBytes: 0 });
    expect(stats.telemetry().droppedBy.closed).toBe(1);
  });

  test('memory stays bounded during a sustained burst while the server is down', async () => {
    const port = await freePort();
    const maxQueueBytes = 1 << 20;
    const { stats } = client({ protocol: 'tcp', host: '127.0.0.1', port, maxQueueBytes });
    stats.incr('warmup');
    await stats.flush();
    gc();
    const before = process.memoryUsage().heapUsed;
    let peak = 0;
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 25_000; i++) stats.timing('sustained.burst.timer', i, { tags: { shard: i % 8 } });
      await tick();
      peak = Math.max(peak, process.memoryUsage().heapUsed - before);
    }
    gc();
    const after = process.memoryUsage().heapUsed;
    const t = stats.telemetry();
    console.log(
      `tcp down, 500k metrics: heap +${((after - before) / 1048576).toFixed(1)} MiB after GC (peak +${(
        peak / 1048576
      ).toFixed(1)} MiB), queueBytes ${t.queueBytes}, dropped ${t.linesDropped} lines`,
    );
    expect(t.queueBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(t.droppedBy.queueFull).toBeGreaterThan(400_000);
    // The queue holds at most 1 MiB of (flattened) packet text; allow for string headers and GC noise.
    expect(after - before).toBeLessThan(4 * maxQueueBytes);
    await stats.close();
    expect(stats.telemetry().queueBytes).toBe(0);
  });
});
