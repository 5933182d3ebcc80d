/**
 * Regression (issue 12, item 23): a user's onError was called once per refused packet (~830 calls a
 * second while statsd was down), where the default handler warns once per code every 10 s. The
 * `onErrorInterval` option passes at most one error per code per interval, the first at once and then
 * the latest with `err.suppressed` counting the others; nothing is lost from the count.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { sleep, udpReceiver } from '../helpers/udp-receiver.js';

const causeCode = (e: StatsError): unknown => (e.cause as NodeJS.ErrnoException | undefined)?.code;

afterEach(() => {
  vi.useRealTimers();
});

describe('onErrorInterval', () => {
  test('UDP to a refused loopback port: the first STATSKIT_ERR_SEND at once, the rest as one call with a count', async () => {
    const gone = await udpReceiver();
    const port = gone.port;
    await gone.close(); // nobody listens there now: every packet comes back ECONNREFUSED
    const calls: StatsError[] = [];
    const stats = new StatsClient({
      aggregate: false,
      host: '127.0.0.1',
      port,
      batching: false,
      onErrorInterval: 60_000,
      onError: (e) => calls.push(e),
    });
    for (let i = 0; i < 400 && stats.telemetry().errors < 6; i++) {
      stats.incr('down');
      await sleep(2);
    }
    const reported = stats.telemetry().errors;
    expect(reported).toBeGreaterThanOrEqual(6);
    expect(calls).toHaveLength(1); // the first one, at once; the others are held back
    expect([calls[0]?.code, causeCode(calls[0] as StatsError), calls[0]?.suppressed]).toEqual([
      'STATSKIT_ERR_SEND',
      'ECONNREFUSED',
      0,
    ]);
    await stats.close(); // passes on what is held back
    expect(calls).toHaveLength(2);
    expect([calls[1]?.code, causeCode(calls[1] as StatsError)]).toEqual([
      'STATSKIT_ERR_SEND',
      'ECONNREFUSED',
    ]);
    // every reported error is either passed on or counted in `suppressed`
    const total = stats.telemetry().errors;
    expect(calls.reduce((n, e) => n + 1 + (e.suppressed ?? 0), 0)).toBe(total);
    expect(calls[1]?.suppressed).toBeGreaterThanOrEqual(reported - 2);
  });

  test('per code: the first at once, then the latest once per interval with the count; a quiet code starts afresh', () => {
    vi.useFakeTimers();
    const calls: [string, number | undefined][] = [];
    const stats = new StatsClient({
      aggregate: false,
      transport: { send() {}, flush: async () => {}, close: async () => {} },
      onErrorInterval: 1000,
      onError: (e) => calls.push([e.code, e.suppressed]),
    });
    for (let i = 0; i < 100; i++) stats.incr('x', Number.NaN);
    for (let i = 0; i < 3; i++) stats.incr('', 1);
    expect(calls).toEqual([
      ['STATSKIT_ERR_INVALID_VALUE', 0],
      ['STATSKIT_ERR_INVALID_NAME', 0],
    ]);
    vi.advanceTimersByTime(999);
    expect(calls).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(calls.slice(2)).toEqual([
      ['STATSKIT_ERR_INVALID_VALUE', 98],
      ['STATSKIT_ERR_INVALID_NAME', 1],
    ]);
    // a storm that goes on: one call per interval
    for (let i = 0; i < 10; i++) stats.incr('x', Number.NaN);
    vi.advanceTimersByTime(1000);
    expect(calls.slice(4)).toEqual([['STATSKIT_ERR_INVALID_VALUE', 9]]);
    // quiet for longer than the interval: the next error is passed at once
    vi.advanceTimersByTime(5000);
    stats.incr('x', Number.POSITIVE_INFINITY);
    expect(calls.slice(5)).toEqual([['STATSKIT_ERR_INVALID_VALUE', 0]]);
    expect(stats.telemetry().errors).toBe(100 + 3 + 10 + 1);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('off by default: a user onError gets every error, and `suppressed` stays undefined', () => {
    const calls: StatsError[] = [];
    const stats = new StatsClient({
      aggregate: false,
      transport: { send() {}, flush: async () => {}, close: async () => {} },
      onError: (e) => calls.push(e),
    });
    for (let i = 0; i < 5; i++) stats.incr('x', Number.NaN);
    expect(calls).toHaveLength(5);
    expect(calls.map((e) => e.suppressed)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
