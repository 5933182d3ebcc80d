/**
 * Issue 22 item 9: an aggregated set held every distinct member until the flush (1 M members: +43–51
 * MiB), and the flush wrote them all in one tick, blocking the event loop 250–490 ms.
 */
import { ErrorCodes } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { drain, linesOf, udpClient } from '../helpers/client.js';
import { sleep, udpReceiver } from '../helpers/udp-receiver.js';

describe('issue 22.9: aggregated sets', () => {
  test('members per set and interval are bounded: past maxSetMembers they go out raw, reported once', async () => {
    await using rx = await udpReceiver();
    await using c = udpClient(rx, { aggregate: { interval: 60_000, maxSetMembers: 3 } });
    const { stats } = c;
    for (const m of ['a', 'b', 'a', 'c', 'a', 'd', 'e', 'd', 'b']) stats.set('users', m);
    stats.set('other', 'x'); // another set has its own bound
    // the two past the bound (and d's repeat) were sent at once, as raw lines; nothing else yet
    expect(c.codes()).toEqual([ErrorCodes.TOO_MANY_MEMBERS]);
    expect(c.errors[0]?.message).toContain('users has 3 distinct members');
    expect((c.errors[0] as { metric?: unknown }).metric).toBe('users');
    const lines = linesOf(await drain(stats, rx));
    expect(lines.filter((l) => l.startsWith('users:')).sort()).toEqual([
      'users:a|s',
      'users:b|s',
      'users:c|s',
      'users:d|s',
      'users:d|s',
      'users:e|s',
    ]);
    expect(lines).toContain('other:x|s');
    // a new interval: a new bound, reported again once
    for (const m of ['p', 'q', 'r', 's', 't']) stats.set('users', m);
    expect(c.codes()).toEqual([ErrorCodes.TOO_MANY_MEMBERS, ErrorCodes.TOO_MANY_MEMBERS]);
    const next = linesOf(await drain(stats, rx)).filter((l) => l.startsWith('users:'));
    expect(next.sort()).toEqual(['users:p|s', 'users:q|s', 'users:r|s', 'users:s|s', 'users:t|s']);
  });

  test('maxSetMembers is validated', async () => {
    await using rx = await udpReceiver();
    expect(() => udpClient(rx, { aggregate: { maxSetMembers: 0 } })).toThrow(/aggregate\.maxSetMembers/);
    expect(() => udpClient(rx, { aggregate: { maxSetMembers: 1.5 } })).toThrow(/aggregate\.maxSetMembers/);
  });

  test('the interval flush of a big set yields to the event loop between slices', async () => {
    await using rx = await udpReceiver();
    await using c = udpClient(rx, { aggregate: { interval: 30, maxSetMembers: 1_000_000 } });
    const { stats } = c;
    const n = 200_000;
    for (let i = 0; i < n; i++) stats.set('visitors', `v${i}`);
    const before = stats.telemetry().metrics;
    // what other callbacks of the event loop see while the scheduled flush is written
    const seen: number[] = [];
    let done = false;
    const watch = () => {
      const written = stats.telemetry().metrics - before;
      seen.push(written);
      if (written >= n) done = true;
      else setImmediate(watch);
    };
    setImmediate(watch);
    const until = Date.now() + 20_000;
    while (!done && Date.now() < until) await sleep(20);
    expect(done).toBe(true);
    // some turn of the loop ran while the set was half written: the flush did not take one tick
    expect(seen.some((w) => w > 0 && w < n)).toBe(true);
    expect(c.errors).toEqual([]);
  }, 30_000);

  test('flush() during a sliced flush writes the rest at once, in order', async () => {
    await using rx = await udpReceiver();
    await using c = udpClient(rx, { aggregate: { interval: 20, maxSetMembers: 1_000_000 } });
    const { stats } = c;
    const n = 100_000;
    for (let i = 0; i < n; i++) stats.set('visitors', `v${i}`);
    stats.gauge('level', 1);
    const before = stats.telemetry().metrics;
    // wait for the scheduled flush to have written some, not all
    const until = Date.now() + 10_000;
    while (stats.telemetry().metrics === before && Date.now() < until)
      await new Promise((r) => setImmediate(r));
    const partial = stats.telemetry().metrics - before;
    stats.gauge('level', 2); // the next interval: must not overtake the first interval's level:1
    const flushed = stats.flush();
    // synchronously: both intervals are written (n members, level:1, level:2)
    expect(stats.telemetry().metrics - before).toBe(n + 2);
    await flushed;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(n + 1);
    expect(c.errors).toEqual([]);
  }, 30_000);
});
