/**
 * Values are printed by a fast path (integers, and decimals of up to three places) that must give
 * exactly what `String(value)` gives, for every number a metric can carry — as a string
 * (`formatNumber`), and as digits written straight into a packet (`putNumber`, held multi-value samples)
 * in exactly the bytes reserved for them (`numberBytes`).
 */
import { StatsClient } from '@statskit/client';
import { MemoryTransport } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';
import { formatNumber, numberBytes, putNumber } from '../src/protocol/number.js';

/** A deterministic generator (mulberry32), so a failure is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const buf = Buffer.alloc(64);

/** What each way of printing `v` gave that `String(v)` does not (empty when all agree). */
function mismatches(values: Iterable<number>): number[] {
  const bad: number[] = [];
  for (const v of values) {
    const want = String(v);
    buf.fill(0x23); // '#': a byte left unwritten shows
    const end = putNumber(buf, 1, v);
    const ok =
      formatNumber(v) === want &&
      numberBytes(v) === want.length &&
      end === 1 + want.length &&
      buf.toString('latin1', 1, end) === want &&
      buf[0] === 0x23 &&
      buf[end] === 0x23;
    if (!ok && bad.length < 5) bad.push(v);
  }
  return bad;
}

describe('formatNumber, numberBytes and putNumber', () => {
  test('every thousandth in ±500 prints as String() does', () => {
    const values = function* () {
      for (let m = -500_000; m <= 500_000; m++) yield m / 1000;
    };
    expect(mismatches(values())).toEqual([]);
  });

  test('decimals of 0–3 places across magnitudes up to 1e15 and beyond print as String() does', () => {
    const next = rng(4);
    const values = function* () {
      for (let i = 0; i < 200_000; i++) {
        const digits = Math.floor(next() * 19);
        const m = Math.floor(next() * 10 ** digits) * (next() < 0.5 ? -1 : 1);
        yield m;
        yield m / 10;
        yield m / 100;
        yield m / 1000;
      }
    };
    expect(mismatches(values())).toEqual([]);
  });

  test('arbitrary doubles and edge values fall back to String()', () => {
    const next = rng(7);
    const values = function* () {
      for (let i = 0; i < 200_000; i++) yield (next() - 0.5) * 10 ** (next() * 40 - 15);
      yield* [0, -0, 0.1 + 0.2, 1.005, 1e-7, 5e-324, 1e21, 2 ** 53, Number.MAX_VALUE, -Number.MAX_VALUE];
      yield* [999_999_999_999.999, 1e12, -999_999_999_999.999, 4_398_046_511.103, 0.001, -0.001];
    };
    expect(mismatches(values())).toEqual([]);
  });
});

describe('values on the wire', () => {
  test('timings, gauges and deltas keep their exact decimal form', async () => {
    const transport = new MemoryTransport();
    const stats = new StatsClient({ aggregate: false, transport, batching: false });
    stats.timing('t', 12.345);
    stats.timing('t', 0.5);
    stats.timing('t', 1e-7);
    stats.gauge('g', -2.05);
    stats.gaugeDelta('g', 3.1);
    stats.gaugeDelta('g', -0.25);
    stats.histogram('h', 1234567.891);
    await stats.close();
    expect(transport.lines).toEqual([
      't:12.345|ms',
      't:0.5|ms',
      't:1e-7|ms',
      'g:0|g',
      'g:-2.05|g',
      'g:+3.1|g',
      'g:-0.25|g',
      'h:1234567.891|ms',
    ]);
  });
});
