/**
 * `stats.onClose(fn)`: code that owns timers feeding a client (pollers, collectors) learns when the
 * client closes, once, while it may still send a last value.
 */
import { describe, expect, test } from 'vitest';
import { ErrorCodes, type StatsError } from '../src/index.js';
import { createTestClient } from '../src/testing/index.js';

describe('onClose', () => {
  test('runs once at close(), before the client stops accepting metrics; a last value is sent', async () => {
    const stats = createTestClient();
    let calls = 0;
    stats.onClose(() => {
      calls++;
      stats.gauge('last', 1);
    });
    await stats.flush();
    expect(calls).toBe(0);
    await stats.close();
    await stats.close();
    expect(calls).toBe(1);
    expect(stats.lines).toContain('last:1|g');
    expect(stats.errors).toEqual([]);
  });

  test("a child's close() runs the parent's hooks (they share one socket)", async () => {
    const stats = createTestClient();
    let calls = 0;
    stats.onClose(() => calls++);
    await stats.child({ prefix: 'c' }).close();
    expect(calls).toBe(1);
  });

  test('unregistered hooks do not run; a hook registered after close() runs at once', async () => {
    const stats = createTestClient();
    let calls = 0;
    const off = stats.onClose(() => calls++);
    off();
    await stats.close();
    expect(calls).toBe(0);
    stats.onClose(() => calls++);
    expect(calls).toBe(1);
  });

  test('a throwing hook goes to onError as STATSKIT_ERR_CALLBACK; the other hooks still run', async () => {
    const errors: StatsError[] = [];
    const stats = createTestClient({ onError: (e) => errors.push(e) });
    let ran = false;
    stats.onClose(() => {
      throw new Error('boom');
    });
    stats.onClose(() => {
      ran = true;
    });
    await stats.close();
    expect(ran).toBe(true);
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.CALLBACK]);
  });

  test('needs a function', () => {
    const stats = createTestClient();
    expect(() => stats.onClose(42 as unknown as () => void)).toThrow(/needs a function/);
  });
});
