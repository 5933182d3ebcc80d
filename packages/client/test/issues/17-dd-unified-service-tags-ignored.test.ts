/**
 * Issue 17: people coming from hot-shots or Datadog's clients expected `DD_ENV`, `DD_SERVICE`,
 * `DD_VERSION` (and `DD_ENTITY_ID`) to tag every metric; statskit ignored them.
 */
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

const env = { DD_ENV: 'prod', DD_SERVICE: 'api', DD_VERSION: '1.4.2', DD_ENTITY_ID: 'pod-uid-1' };

test('DD_* become env, service, version and dd.internal.entity_id tags (DogStatsD format)', () => {
  const stats = createTestClient({ env });
  stats.incr('hits');
  expect(stats.lines).toEqual([
    'hits:1|c|#dd.internal.entity_id:pod-uid-1,env:prod,service:api,version:1.4.2',
  ]);
});

test('the tags option wins on the same key; children and per-call tags build on them', () => {
  const stats = createTestClient({ env, tags: { env: 'staging', team: 'core' } });
  stats.child({ tags: { service: 'worker' } }).incr('jobs', 1, { tags: { queue: 'q1' } });
  expect(stats.lines).toEqual([
    'jobs:1|c|#dd.internal.entity_id:pod-uid-1,env:staging,service:worker,version:1.4.2,team:core,queue:q1',
  ]);
});

test('unifiedServiceTags: false turns it off; other tag formats and empty variables add nothing', () => {
  const off = createTestClient({ env, unifiedServiceTags: false });
  off.incr('a');
  const telegraf = createTestClient({ env, tagFormat: 'telegraf' });
  telegraf.incr('b');
  const empty = createTestClient({ env: { DD_ENV: '', DD_SERVICE: 'svc' } });
  empty.incr('c');
  expect([...off.lines, ...telegraf.lines, ...empty.lines]).toEqual(['a:1|c', 'b:1|c', 'c:1|c|#service:svc']);
});
