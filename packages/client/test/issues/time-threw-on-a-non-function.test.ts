import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

// time(name, notAFunction) threw a TypeError into the app and still sent a timing. A metric call never
// throws: it is reported as STATSKIT_ERR_INVALID_VALUE and nothing is sent.
test('time() with something that is not a function reports and returns undefined', () => {
  const stats = createTestClient();
  let result: unknown = 'unset';
  expect(() => {
    result = stats.time('t', 42 as unknown as () => number);
  }).not.toThrow();
  expect(result).toBeUndefined();
  expect(stats.lines).toEqual([]);
  expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_VALUE']);
});
