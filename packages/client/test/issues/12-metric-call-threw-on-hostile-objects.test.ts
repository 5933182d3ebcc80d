/**
 * Regression (issue 12, item 17): a metric call threw where validation rejected a value but the error
 * message was built with `String(x)`, or where an option was read through a getter or Proxy that throws
 * (14 of 164 cases). Values are now described without running the caller's code, and every read of the
 * caller's objects is guarded. The full matrix is in malicious-input.test.ts; these are the cases the
 * issue lists, with what the caller observes.
 */
import { StatsError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

const boom = (): never => {
  throw new Error('boom');
};

test("incr('x', 1, { tags: { a: Object.create(null) } }): the tag is reported, the metric sent", () => {
  const stats = createTestClient();
  stats.incr('x', 1, { tags: { a: Object.create(null), b: 'ok' } });
  expect(stats.lines).toEqual(['x:1|c|#b:ok']);
  expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_TAG']);
  expect(stats.errors[0]?.message).toContain('"a"=<object>');
});

test('gauge(Object.create(null), NaN) and friends: reported, nothing sent', () => {
  const stats = createTestClient();
  const hostile = [
    Object.create(null),
    { toString: boom, valueOf: boom, [Symbol.toPrimitive]: boom },
    new Proxy({}, { get: boom, getPrototypeOf: boom }),
  ];
  for (const h of hostile) {
    stats.gauge(h, Number.NaN);
    stats.set(h, '');
    stats.time(h, 42 as unknown as () => void);
    stats.check('c', h);
    stats.event('t', h);
  }
  expect(stats.lines).toEqual([]);
  expect(stats.errors).toHaveLength(hostile.length * 5);
  for (const e of stats.errors) expect(e.code).toBe('STATSKIT_ERR_INVALID_VALUE');
});

test('options with a throwing getter or a revoked Proxy', () => {
  const stats = createTestClient();
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  stats.incr('rate', 1, {
    get rate(): number {
      return boom();
    },
  });
  stats.incr('revoked', 1, proxy);
  stats.incr('tags', 1, {
    get tags(): never {
      return boom();
    },
  });
  stats.incr('tag-value', 1, {
    tags: {
      ok: 'yes',
      get bad(): string {
        return boom();
      },
    },
  });
  stats.incr('timestamp', 1, {
    get timestamp(): number {
      return boom();
    },
  });
  stats.check('check', 0, {
    get message(): string {
      return boom();
    },
  });
  // a rate or timestamp that cannot be read drops the metric; tags that cannot be read are left out
  expect(stats.lines).toEqual(['tags:1|c', 'tag-value:1|c']);
  expect(stats.errors.map((e) => e.code)).toEqual([
    'STATSKIT_ERR_INVALID_RATE',
    'STATSKIT_ERR_INVALID_RATE',
    'STATSKIT_ERR_INVALID_TAG',
    'STATSKIT_ERR_INVALID_TAG',
    'STATSKIT_ERR_INVALID_VALUE',
    'STATSKIT_ERR_INVALID_VALUE',
  ]);
  expect(stats.errors[0]?.cause).toEqual(new Error('boom'));
});

test('child() with a throwing getter throws InvalidOptionError, not the getter’s error', () => {
  const stats = createTestClient();
  let thrown: unknown;
  try {
    stats.child({
      get prefix(): string {
        return boom();
      },
    });
  } catch (err) {
    thrown = err;
  }
  expect(StatsError.is(thrown) && thrown.code).toBe('STATSKIT_ERR_INVALID_OPTION');
});

test('incr(Object.create(null)) after close() reports STATSKIT_ERR_CLOSED', async () => {
  const stats = createTestClient();
  await stats.close();
  expect(() => stats.incr(Object.create(null))).not.toThrow();
  expect(() => stats.event(Object.create(null), 'x')).not.toThrow();
  expect(() => stats.check(Object.create(null), 0)).not.toThrow();
  expect(stats.errors.map((e) => e.code)).toEqual([
    'STATSKIT_ERR_CLOSED',
    'STATSKIT_ERR_CLOSED',
    'STATSKIT_ERR_CLOSED',
  ]);
});
