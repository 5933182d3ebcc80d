/**
 * close() loses nothing that was sent before it; metric calls after it are dropped and reported; a second
 * close() and flush() after close are no-ops that resolve when the first close has finished.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, test, vi } from 'vitest';
import { udpClient } from './helpers/client.js';
import { sleep, udpReceiver } from './helpers/udp-receiver.js';

describe('close() loses nothing', () => {
  test('100 000 metrics, yielding to the event loop every 1000: all lines arrive, sums exact', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx, { prefix: 'load', flushInterval: 50 });
    const N = 100_000;
    const expected = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const name = `m${i % 50}`;
      const value = (i % 7) + 1;
      c.stats.incr(name, value);
      expected.set(`load.${name}`, (expected.get(`load.${name}`) ?? 0) + value);
      if (i % 1000 === 999) await new Promise(setImmediate);
    }
    await c.stats.close();
    await rx.waitForLines(N, 4000);
    await sleep(50); // anything extra would show up now
    const sums = new Map<string, number>();
    const malformed: string[] = [];
    let lines = 0;
    for (const p of rx.packets) {
      for (const line of p.text.split('\n')) {
        lines++;
        const m = /^(load\.m\d+):(\d+)\|c$/.exec(line);
        if (m === null) malformed.push(line);
        else sums.set(m[1] as string, (sums.get(m[1] as string) ?? 0) + Number(m[2]));
      }
    }
    expect(malformed).toEqual([]);
    expect(lines).toBe(N);
    expect(sums).toEqual(expected);
    expect(c.errors).toEqual([]);
    const t = c.stats.telemetry();
    expect(t).toMatchObject({ metrics: N, linesSent: N, linesDropped: 0, packetsSent: rx.packets.length });
  });

  test('close() right after the calls, without any yield, still sends everything', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx, { batching: false });
    for (let i = 0; i < 500; i++) c.stats.incr('burst');
    await c.stats.close();
    await rx.waitForLines(500);
    await sleep(20);
    expect(rx.lines).toHaveLength(500);
    expect(c.errors).toEqual([]);
  });

  test('close() on a client that has not sent anything yet resolves', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx);
    await c.stats.close();
    expect(c.stats.closed).toBe(true);
    expect(c.errors).toEqual([]);
  });
});

describe('after close()', () => {
  test('metric calls are dropped with STATSKIT_ERR_CLOSED, never thrown; nothing reaches the wire', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx);
    c.stats.incr('before');
    await c.stats.close();
    const s = c.stats;
    const calls: (() => unknown)[] = [
      () => s.incr('x'),
      () => s.decr('x'),
      () => s.gauge('x', 1),
      () => s.gauge('x', -1),
      () => s.gaugeDelta('x', 1),
      () => s.timing('x', 1),
      () => s.histogram('x', 1),
      () => s.distribution('x', 1),
      () => s.set('x', 'm'),
      () => s.timer('x').stop(),
      () => s.time('x', () => 1),
    ];
    for (const call of calls) expect(call).not.toThrow();
    expect(c.codes()).toEqual(calls.map(() => 'STATSKIT_ERR_CLOSED'));
    expect(c.stats.telemetry().droppedBy.closed).toBe(calls.length);
    await rx.waitFor(() => rx.lines.length >= 1);
    await sleep(30);
    expect(rx.lines).toEqual(['before:1|c']);
  });

  test('a second close() reports nothing and resolves', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx);
    await c.stats.close();
    await expect(c.stats.close()).resolves.toBeUndefined();
    expect(c.errors).toEqual([]);
    expect(c.stats.telemetry().errors).toBe(0);
  });

  test('two concurrent close() calls both resolve, after the data is out, and report nothing', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx);
    c.stats.incr('a');
    const [first, second] = [c.stats.close(), c.stats.close()];
    await Promise.all([first, second]);
    expect(c.errors).toEqual([]);
    await rx.waitFor(() => rx.lines.length >= 1);
    expect(rx.lines).toEqual(['a:1|c']);
  });

  test('a second close() (and flush() during close) resolves only when the first close has finished', async () => {
    let finishClose = (): void => {};
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      aggregate: false,
      transport: {
        send() {},
        flush: async () => {},
        close: () => new Promise<void>((resolve) => (finishClose = resolve)),
      },
      onError: (e) => errors.push(e),
    });
    const order: string[] = [];
    const first = stats.close().then(() => order.push('first'));
    const second = stats.close().then(() => order.push('second'));
    const flushed = stats.flush().then(() => order.push('flush'));
    const child = stats
      .child({ prefix: 'kid' })
      .close()
      .then(() => order.push('child'));
    await sleep(20);
    expect(order).toEqual([]); // the transport has not closed yet: nobody may resolve
    finishClose();
    await Promise.all([first, second, flushed, child]);
    expect(order.sort()).toEqual(['child', 'first', 'flush', 'second']);
    expect(errors).toEqual([]);
  });

  test('flush() after close() is a no-op that resolves and reports nothing', async () => {
    const stats = createTestClient();
    stats.incr('before');
    await stats.close();
    await expect(stats.flush()).resolves.toBeUndefined();
    await expect(stats.flush()).resolves.toBeUndefined();
    expect(stats.errors).toEqual([]);
    expect(stats.lines).toEqual(['before:1|c']);
  });

  test('close() from Fastify-style onClose and from the app both resolve with the default onError: no warning', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const stats = new StatsClient({
        aggregate: false,
        transport: { send() {}, flush: async () => {}, close: async () => {} },
      });
      await Promise.all([stats.close(), stats.close()]);
      await stats.close();
      await stats.flush();
      expect(emitWarning).not.toHaveBeenCalled();
    } finally {
      emitWarning.mockRestore();
    }
  });

  test('the default onError warns (process.emitWarning) instead of throwing', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const stats = new StatsClient({
        aggregate: false,
        transport: { send() {}, flush: async () => {}, close: async () => {} },
      });
      await stats.close();
      expect(() => stats.incr('late')).not.toThrow();
      expect(() => stats.incr('late')).not.toThrow();
      // rate-limited: one warning per code, not one per call
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning.mock.calls[0]?.[1]).toMatchObject({ code: 'STATSKIT_ERR_CLOSED' });
    } finally {
      emitWarning.mockRestore();
    }
  });
});
