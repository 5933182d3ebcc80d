/**
 * When the network or the app misbehaves: no throw, no crash, no unhandled event; every problem goes to
 * onError with a code, and telemetry counts what was lost.
 */
import dgram from 'node:dgram';
import { StatsClient, type StatsError } from '@statskit/client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { udpClient } from './helpers/client.js';
import { sleep, udpReceiver } from './helpers/udp-receiver.js';

const uncaught = vi.fn();
const unhandled = vi.fn();
beforeEach(() => {
  uncaught.mockClear();
  unhandled.mockClear();
  process.on('uncaughtException', uncaught);
  process.on('unhandledRejection', unhandled);
});
afterEach(async () => {
  await sleep(20); // let a late error surface before checking
  process.off('uncaughtException', uncaught);
  process.off('unhandledRejection', unhandled);
  expect(uncaught).not.toHaveBeenCalled();
  expect(unhandled).not.toHaveBeenCalled();
});

/** A UDP port on loopback where nothing listens: bound once, then released. */
async function closedPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function collect(): { errors: StatsError[]; onError: (e: StatsError) => void } {
  const errors: StatsError[] = [];
  return { errors, onError: (e) => errors.push(e) };
}

const causeCode = (e: StatsError): unknown => (e.cause as NodeJS.ErrnoException | undefined)?.code;

describe('unresolvable host', () => {
  test('STATSKIT_ERR_DNS once, the lines counted as dropped, close() resolves', async () => {
    const { errors, onError } = collect();
    const stats = new StatsClient({ aggregate: false, host: 'does-not-exist.invalid', port: 8125, onError });
    expect(() => stats.incr('a')).not.toThrow();
    stats.incr('b');
    await stats.flush(); // resolves even though nothing could be sent
    stats.incr('c'); // within the retry pause: dropped at once, not looked up again
    await stats.flush();
    await stats.close();
    expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_DNS']);
    expect(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME']).toContain(causeCode(errors[0] as StatsError));
    const t = stats.telemetry();
    expect(t.linesSent).toBe(0);
    expect(t.droppedBy.dns).toBe(3);
    expect(t.linesDropped).toBe(3);
    expect(t.errors).toBe(1);
  });

  test('unbatched, every call on its own', async () => {
    const { errors, onError } = collect();
    const stats = new StatsClient({
      aggregate: false,
      host: 'does-not-exist.invalid',
      batching: false,
      onError,
    });
    for (let i = 0; i < 5; i++) stats.incr('a');
    await stats.close();
    expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_DNS']);
    expect(stats.telemetry().droppedBy.dns).toBe(5);
  });
});

describe('nothing listening on the port', () => {
  test('STATSKIT_ERR_SEND with cause ECONNREFUSED, and the socket keeps working', async () => {
    const port = await closedPort();
    const { errors, onError } = collect();
    const stats = new StatsClient({ aggregate: false, host: '127.0.0.1', port, batching: false, onError });
    for (let i = 0; i < 5; i++) {
      expect(() => stats.incr('refused')).not.toThrow();
      await sleep(10); // room for the ICMP port-unreachable to come back
    }
    await stats.flush();
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect(e.code).toBe('STATSKIT_ERR_SEND');
      expect(causeCode(e)).toBe('ECONNREFUSED');
    }
    const t = stats.telemetry();
    expect(t.errors).toBe(errors.length);
    // every packet is accounted for: handed to the kernel or dropped
    expect(t.packetsSent + t.packetsDropped).toBe(5);
    await stats.close();
  });

  test('telemetry agrees with the errors: refused packets are dropped (sendError), not sent', async () => {
    const port = await closedPort();
    const { errors, onError } = collect();
    const stats = new StatsClient({ aggregate: false, host: '127.0.0.1', port, batching: false, onError });
    for (let i = 0; i < 5; i++) {
      stats.incr('refused');
      await sleep(10); // room for each ICMP port-unreachable to come back before the next packet
    }
    await stats.flush();
    await stats.close();
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('STATSKIT_ERR_SEND'));
    const t = stats.telemetry();
    expect(t).toMatchObject({
      packetsSent: 0,
      linesSent: 0,
      bytesSent: 0,
      packetsDropped: 5,
      linesDropped: 5,
    });
    expect(t.droppedBy.sendError).toBe(5);
    expect(t.bytesDropped).toBe(5 * 'refused:1|c'.length);
  });

  test('a refused packet among delivered ones: only it moves from sent to dropped', async () => {
    const port = await closedPort();
    const { errors, onError } = collect();
    const stats = new StatsClient({ aggregate: false, host: '127.0.0.1', port, batching: false, onError });
    stats.incr('lost');
    await sleep(20);
    expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_SEND']);
    await using rx = await udpReceiver('udp4', port); // statsd comes up
    for (let i = 0; i < 3; i++) stats.incr('kept');
    await rx.waitFor(() => rx.packets.length === 3);
    await stats.close();
    expect(errors).toHaveLength(1);
    const t = stats.telemetry();
    expect(t).toMatchObject({ packetsSent: 3, linesSent: 3, packetsDropped: 1, linesDropped: 1 });
    expect(t.droppedBy.sendError).toBe(1);
  });
});

describe('the app misbehaves', () => {
  test('an onError that throws does not reach the app; a warning is emitted instead', async () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const stats = new StatsClient({
        aggregate: false,
        transport: { send() {}, flush: async () => {}, close: async () => {} },
        onError: () => {
          throw new Error('bad handler');
        },
      });
      expect(() => stats.incr('')).not.toThrow();
      expect(emitWarning).toHaveBeenCalledTimes(1);
      expect(emitWarning.mock.calls[0]?.[1]).toMatchObject({ code: 'STATSKIT_ERR_CALLBACK' });
      await stats.close();
    } finally {
      emitWarning.mockRestore();
    }
  });

  test('a custom transport that throws is reported as STATSKIT_ERR_CALLBACK and counted', async () => {
    const { errors, onError } = collect();
    const boom = new Error('transport down');
    const stats = new StatsClient({
      aggregate: false,
      batching: false,
      transport: {
        send() {
          throw boom;
        },
        flush: () => Promise.reject(new Error('flush failed')),
        close: () => Promise.resolve(),
      },
      onError,
    });
    expect(() => stats.incr('a')).not.toThrow();
    await expect(stats.flush()).resolves.toBeUndefined();
    await stats.close();
    expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_CALLBACK', 'STATSKIT_ERR_CALLBACK']);
    expect(errors[0]?.cause).toBe(boom);
    expect(stats.telemetry().droppedBy.sendError).toBe(1);
  });

  test('a closed client drops and reports, with no throw', async () => {
    await using rx = await udpReceiver();
    const c = udpClient(rx);
    await c.stats.close();
    expect(() => c.stats.gauge('g', 1)).not.toThrow();
    expect(c.codes()).toEqual(['STATSKIT_ERR_CLOSED']);
    expect(c.stats.telemetry().droppedBy.closed).toBe(1);
  });
});
