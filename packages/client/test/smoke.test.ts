import { StatsClient } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

test('a test client records one line per call', () => {
  const stats = createTestClient({ prefix: 'app' });
  stats.incr('hits');
  expect(stats).toBeInstanceOf(StatsClient);
  expect(stats.lines).toEqual(['app.hits:1|c']);
});
