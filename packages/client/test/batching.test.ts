/**
 * Packing lines into packets: measured in UTF-8 bytes at the receiver, never over maxPacketSize, filled
 * as far as the next line allows, and flushed on the interval, on flush() and on close().
 */
import { createTestClient } from '@statskit/client/testing';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { drain, linesOf, udpClient } from './helpers/client.js';
import { type Packet, type UdpReceiver, udpReceiver } from './helpers/udp-receiver.js';

let rx: UdpReceiver;
beforeAll(async () => {
  rx = await udpReceiver();
});
afterAll(() => rx.close());

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 1-, 2-, 3- and 4-byte characters (none of them reserved). */
const ALPHABET = ['a', 'Z', '.', '_', 'é', 'ß', '日', '本', '😀', '🎉'];

function randomName(rand: () => number, maxLen: number): string {
  const len = 1 + Math.floor(rand() * maxLen);
  let s = '';
  for (let i = 0; i < len; i++) s += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return s;
}

/** Every packet within `max` bytes, and each one as full as the next line allows. */
function expectPacked(packets: readonly Packet[], max: number): void {
  for (const [i, p] of packets.entries()) {
    expect(bytes(p.text), `packet ${i} is over ${max} bytes`).toBeLessThanOrEqual(max);
    // the datagram's size is the UTF-8 size of its text: no character was cut or replaced
    expect(p.size).toBe(bytes(p.text));
    const next = packets[i + 1];
    if (next !== undefined) {
      const firstOfNext = next.text.split('\n')[0] as string;
      expect(
        bytes(p.text) + 1 + bytes(firstOfNext),
        `packet ${i} had room for the next line ${JSON.stringify(firstOfNext)}`,
      ).toBeGreaterThan(max);
    }
  }
}

describe('packets never exceed maxPacketSize in bytes', () => {
  test.each([64, 200, 512, 1432])(
    'maxPacketSize %i with 1- to 4-byte characters in names and tags',
    async (max) => {
      await using c = udpClient(rx, { maxPacketSize: max, tags: { host: 'hôte-日本' } });
      const rand = prng(max);
      const expected: string[] = [];
      let tooLarge = 0;
      for (let i = 0; i < 1500; i++) {
        const name = randomName(rand, 12);
        const tag = randomName(rand, 4);
        const value = Math.floor(rand() * 1000);
        c.stats.incr(name, value, { tags: { k: tag } });
        const line = `${name}:${value}|c|#host:hôte-日本,k:${tag}`;
        if (bytes(line) <= max) expected.push(line);
        else tooLarge++;
      }
      await c.stats.flush();
      const t = c.stats.telemetry();
      const packets = await drain(c.stats, rx);
      expect(linesOf(packets)).toEqual(expected);
      expectPacked(packets, max);
      expect(c.errors).toHaveLength(tooLarge);
      expect(new Set(c.codes())).toEqual(new Set(tooLarge > 0 ? ['STATSKIT_ERR_LINE_TOO_LARGE'] : []));
      expect(t.droppedBy.tooLarge).toBe(tooLarge);
      expect(t.packetsSent).toBe(packets.length);
      expect(t.bytesSent).toBe(packets.reduce((n, p) => n + p.size, 0));
      expect(t.linesSent).toBe(expected.length);
    },
  );

  test('counts bytes, not UTF-16 characters (4 lines of 22 bytes fit in 100, 5 do not)', async () => {
    await using c = udpClient(rx, { maxPacketSize: 100 });
    // '日本日本日本:1|c' is 10 UTF-16 units but 22 bytes: a character count would put 9 in a packet
    for (let i = 0; i < 20; i++) c.stats.incr('日本日本日本');
    const packets = await drain(c.stats, rx);
    expect(packets.map((p) => p.text.split('\n').length)).toEqual([4, 4, 4, 4, 4]);
    expect(packets.map((p) => p.size)).toEqual([91, 91, 91, 91, 91]);
  });

  test.each([
    ['é', 2],
    ['日本', 6],
    ['😀', 4],
  ])('a packet is filled to exactly maxPacketSize with %s', async (ch, chBytes) => {
    // a 29-byte line + '\n' + a 30-byte line = 60 bytes (':1|c' is 4 bytes)
    const nameA = 'a'.repeat(29 - 4 - chBytes) + ch;
    const nameB = 'b'.repeat(30 - 4 - chBytes) + ch;
    expect([bytes(`${nameA}:1|c`), bytes(`${nameB}:1|c`)]).toEqual([29, 30]);
    await using c = udpClient(rx, { maxPacketSize: 60 });
    c.stats.incr(nameA);
    c.stats.incr(nameB);
    c.stats.incr(nameA);
    const packets = await drain(c.stats, rx);
    expect(packets.map((p) => p.text)).toEqual([`${nameA}:1|c\n${nameB}:1|c`, `${nameA}:1|c`]);
    expect(packets.map((p) => p.size)).toEqual([60, 29]);
  });

  test('one byte more and the line goes to the next packet', async () => {
    await using c = udpClient(rx, { maxPacketSize: 60 });
    const a = `${'a'.repeat(23)}é`; // 'a…é:1|c' = 29 bytes
    const b = `${'b'.repeat(23)}😀`; // 31 bytes: 29 + 1 + 31 = 61
    c.stats.incr(a);
    c.stats.incr(b);
    const packets = await drain(c.stats, rx);
    expect(packets.map((p) => p.size)).toEqual([29, 31]);
  });

  test('a line of exactly maxPacketSize bytes is sent, alone', async () => {
    await using c = udpClient(rx, { maxPacketSize: 40 });
    const name = '😀'.repeat(9); // 36 bytes + ':1|c' = 40
    c.stats.incr('x');
    c.stats.incr(name);
    c.stats.incr('y');
    const packets = await drain(c.stats, rx);
    expect(packets.map((p) => p.text)).toEqual(['x:1|c', `${name}:1|c`, 'y:1|c']);
    expect(c.errors).toEqual([]);
  });
});

describe('a line over maxPacketSize is dropped and reported, never truncated', () => {
  test.each([true, false])('batching: %s', async (batching) => {
    await using c = udpClient(rx, { maxPacketSize: 40, batching });
    // 24 UTF-16 units but 44 bytes: too large only when counted in bytes
    const name = '😀'.repeat(10);
    c.stats.incr('before');
    c.stats.incr(name);
    c.stats.incr('after');
    const packets = await drain(c.stats, rx);
    expect(linesOf(packets)).toEqual(['before:1|c', 'after:1|c']);
    expect(c.codes()).toEqual(['STATSKIT_ERR_LINE_TOO_LARGE']);
    expect(c.errors[0]).toMatchObject({ name: 'InvalidMetricError', metric: name });
    const t = c.stats.telemetry();
    expect(t.droppedBy.tooLarge).toBe(1);
    expect(t.linesDropped).toBe(1);
  });

  test('tags count towards the size', async () => {
    await using c = udpClient(rx, { maxPacketSize: 40 });
    c.stats.incr('short', 1, { tags: { k: '日'.repeat(20) } });
    expect(await drain(c.stats, rx)).toEqual([]);
    expect(c.codes()).toEqual(['STATSKIT_ERR_LINE_TOO_LARGE']);
  });

  test('a negative gauge whose two lines do not fit is dropped whole', async () => {
    await using c = udpClient(rx, { maxPacketSize: 40 });
    c.stats.gauge('g'.repeat(16), -5); // 'g…:0|g' 20 + '\n' + 'g…:-5|g' 21 = 42
    c.stats.gauge('h'.repeat(14), -5); // 18 + 1 + 19 = 38: fits
    const packets = await drain(c.stats, rx);
    expect(packets.map((p) => p.text)).toEqual([`${'h'.repeat(14)}:0|g\n${'h'.repeat(14)}:-5|g`]);
    expect(c.codes()).toEqual(['STATSKIT_ERR_LINE_TOO_LARGE']);
    expect(c.stats.telemetry().droppedBy.tooLarge).toBe(2);
  });
});

describe('when packets leave', () => {
  test('on the flush interval, without flush() (real socket)', async () => {
    await using c = udpClient(rx, { flushInterval: 20 });
    c.stats.incr('tick');
    c.stats.incr('tock');
    await rx.waitFor(() => rx.packets.length >= 1, 2000);
    expect(rx.packets.map((p) => p.text)).toEqual(['tick:1|c\ntock:1|c']);
    rx.clear();
    // the timer re-arms for the next packet
    c.stats.incr('again');
    await rx.waitFor(() => rx.packets.length >= 1, 2000);
    expect(rx.packets.map((p) => p.text)).toEqual(['again:1|c']);
    rx.clear();
  });

  test('on flush(): everything is on the wire when it resolves', async () => {
    await using c = udpClient(rx); // 60 s interval
    c.stats.incr('a');
    c.stats.timing('b', 2);
    await c.stats.flush();
    await rx.waitFor(() => rx.packets.length >= 1);
    expect(rx.packets.map((p) => p.text)).toEqual(['a:1|c\nb:2|ms']);
    rx.clear();
  });

  test('on close()', async () => {
    const c = udpClient(rx);
    c.stats.incr('a');
    c.stats.gauge('b', -1);
    await c.stats.close();
    await rx.waitFor(() => rx.packets.length >= 1);
    expect(rx.packets.map((p) => p.text)).toEqual(['a:1|c\nb:0|g\nb:-1|g']);
    rx.clear();
  });

  test('batching: false sends one packet per metric call, at once', async () => {
    await using c = udpClient(rx, { batching: false });
    for (let i = 0; i < 10; i++) c.stats.incr(`m${i}`);
    c.stats.gauge('g', -1);
    await rx.waitFor(() => rx.packets.length >= 11);
    expect(rx.packets.map((p) => p.text)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `m${i}:1|c`),
      'g:0|g\ng:-1|g',
    ]);
    rx.clear();
  });
});

describe('flush interval with fake timers (memory transport)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('a partly filled packet waits flushInterval ms, then goes', async () => {
    vi.useFakeTimers();
    const stats = createTestClient({ batching: true, flushInterval: 100 });
    stats.incr('a');
    vi.advanceTimersByTime(50);
    stats.incr('b');
    vi.advanceTimersByTime(49);
    expect(stats.memory.packets).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(stats.memory.packets).toEqual(['a:1|c\nb:1|c']);
    // nothing buffered, no timer left behind
    expect(vi.getTimerCount()).toBe(0);
    stats.incr('c');
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect(stats.memory.packets).toEqual(['a:1|c\nb:1|c', 'c:1|c']);
    await stats.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  test('a full packet goes at once, without waiting for the timer', () => {
    vi.useFakeTimers();
    const stats = createTestClient({ batching: true, flushInterval: 100, maxPacketSize: 16 });
    stats.incr('aaaa'); // 'aaaa:1|c' 8 bytes
    stats.incr('bbbb'); // 8 + 1 + 8 = 17 > 16: 'aaaa' leaves now
    expect(stats.memory.packets).toEqual(['aaaa:1|c']);
    vi.advanceTimersByTime(100);
    expect(stats.memory.packets).toEqual(['aaaa:1|c', 'bbbb:1|c']);
  });

  test('close() stops the timer and sends what is buffered', async () => {
    vi.useFakeTimers();
    const stats = createTestClient({ batching: true, flushInterval: 100 });
    stats.incr('a');
    await stats.close();
    expect(stats.memory.packets).toEqual(['a:1|c']);
    expect(vi.getTimerCount()).toBe(0);
    expect(stats.memory.closed).toBe(true);
  });
});
