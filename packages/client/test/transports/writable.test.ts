import { PassThrough, Writable } from 'node:stream';
import { ErrorCodes, type Transport } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { client, expectAccounted, noUnhandledErrors, tick } from './helpers.js';

/** A Writable that records chunks, with a small buffer and a switch to stop consuming. */
function sink(highWaterMark = 1024): { stream: Writable; chunks: string[]; release(): void; hold(): void } {
  const chunks: string[] = [];
  let held = false;
  const waiting: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      if (held) waiting.push(cb);
      else cb();
    },
  });
  return {
    stream,
    chunks,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      for (const cb of waiting.splice(0)) cb();
    },
  };
}

describe('Writable escape hatch (transport: someWritable)', () => {
  noUnhandledErrors();

  test('each packet is written followed by a newline', async () => {
    const out = new PassThrough();
    let text = '';
    out.setEncoding('utf8').on('data', (d: string) => {
      text += d;
    });
    const { stats, errors } = client({ transport: out });
    stats.incr('a');
    stats.timing('b', 3);
    await stats.flush();
    stats.gauge('c', 1);
    await stats.close();
    expect(text).toBe('a:1|c\nb:3|ms\nc:1|g\n');
    expect(stats.telemetry()).toMatchObject({ packetsSent: 2, linesSent: 3, queueBytes: 0 });
    expect(errors).toEqual([]);
    // close() does not end a stream the caller owns
    expect(out.writableEnded).toBe(false);
    expect(out.listenerCount('error')).toBe(0);
  });

  test('backpressure: write() returning false queues packets (bounded) until drain', async () => {
    const s = sink(256);
    s.hold();
    const maxQueueBytes = 4096;
    const { stats, codes } = client({ transport: s.stream, batching: false, maxQueueBytes });
    for (let i = 0; i < 5000; i++) stats.incr('w', i);
    const t = stats.telemetry();
    expect(t.queueBytes).toBeGreaterThan(0);
    expect(t.queueBytes).toBeLessThanOrEqual(maxQueueBytes);
    expect(t.droppedBy.queueFull).toBeGreaterThan(0);
    expect(codes()).toContain(ErrorCodes.QUEUE_FULL);
    const flushed = stats.flush();
    await tick();
    s.release();
    await flushed;
    expect(stats.telemetry().queueBytes).toBe(0);
    await stats.close();
    const written = s.chunks.join('').split('\n').filter(Boolean);
    expect(written.length).toBe(stats.telemetry().linesSent);
    expect(written[0]).toBe('w:0|c');
    expectAccounted(stats);
  });

  test('a stream that errors: reported as STATSKIT_ERR_SOCKET, later packets dropped, no crash', async () => {
    const failing = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('disk full'));
      },
    });
    const { stats, codes } = client({ transport: failing, batching: false });
    stats.incr('x');
    await tick();
    stats.incr('y');
    await stats.close();
    expect(codes()).toContain(ErrorCodes.SOCKET);
    const t = stats.telemetry();
    expect(t.linesSent).toBe(0);
    expect(t.linesDropped).toBe(2);
    expectAccounted(stats);
  });

  test('a custom Transport object is still used as is', async () => {
    const got: string[] = [];
    const custom: Transport = {
      send: (p) => {
        got.push(p);
      },
      flush: async () => {},
      close: async () => {},
    };
    const { stats } = client({ transport: custom, batching: false });
    stats.incr('custom');
    await stats.close();
    expect(got).toEqual(['custom:1|c']);
  });
});
