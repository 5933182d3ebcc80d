/**
 * Issue 17: with Telegraf (and Graphite) tags, an array tag written `k=v` — the way those formats put it
 * on the wire, and the way hot-shots users write it — became the flag `k_v=true`.
 */
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

test('Telegraf: k=v and k:v array tags are both key/value, in client, child, per-call and errorTags tags', async () => {
  const stats = createTestClient({ tagFormat: 'telegraf', tags: ['a=1', 'b:2'], unifiedServiceTags: false });
  stats.child({ tags: ['c=3'] }).incr('x', 1, { tags: ['d=4', 'e:5', 'flag'] });
  await expect(
    stats.time('t', () => Promise.reject(new Error('no')), { tags: ['f=6'], errorTags: ['outcome=error'] }),
  ).rejects.toThrow('no');
  expect(stats.lines[0]).toBe('x,a=1,b=2,c=3,d=4,e=5,flag=true:1|c');
  expect(stats.lines[1]).toMatch(/^t,a=1,b=2,f=6,outcome=error:[\d.]+\|ms$/);
});

test('Graphite too; DogStatsD keeps `=` inside the tag (a=1 is one tag there)', () => {
  const graphite = createTestClient({ tagFormat: 'graphite', tags: ['a=1'] });
  graphite.incr('x');
  const dog = createTestClient({ tagFormat: 'datadog', tags: ['a=1'], unifiedServiceTags: false });
  dog.incr('x');
  expect([...graphite.lines, ...dog.lines]).toEqual(['x;a=1:1|c', 'x:1|c|#a=1']);
});
