import type { TagFormat } from '@statskit/client';
import { createTestClient, parseLine } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';

// `{ k: '' }` became `q,k=:1|c` in Telegraf and `q;k=:1|c` in Graphite (both reject an empty value), and
// an empty key (`{ '': 'v' }`, or a key made only of... nothing) became `q,=v:1|c`. Such a tag is now
// dropped and reported as STATSKIT_ERR_INVALID_TAG; the metric itself is still sent.
describe.each<TagFormat>(['datadog', 'telegraf', 'graphite'])('%s', (tagFormat) => {
  test('an empty tag key is dropped and reported, per call and global', () => {
    const stats = createTestClient({ tagFormat });
    stats.incr('q', 1, { tags: { '': 'v', ok: 'yes' } });
    stats.incr('q', 1, { tags: [':v', 'ok:yes'] });
    expect(() => createTestClient({ tagFormat, tags: { '': 'v' } })).toThrow(/tag/);
    for (const m of stats.metrics) {
      expect(m.tags).toEqual({ ok: 'yes' });
      expect(parseLine(m.raw, tagFormat)).toBeDefined();
    }
    expect(stats.lines).toHaveLength(2);
    expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_TAG', 'STATSKIT_ERR_INVALID_TAG']);
  });

  test('an empty tag value is dropped where the format needs one', () => {
    const stats = createTestClient({ tagFormat });
    stats.incr('q', 1, { tags: { k: '', ok: 'yes' } });
    stats.incr('q', 1, { tags: ['k:', 'ok:yes'] });
    const expected = tagFormat === 'datadog' ? { k: '', ok: 'yes' } : { ok: 'yes' };
    for (const m of stats.metrics) expect(m.tags).toEqual(expected);
    expect(stats.errors).toHaveLength(tagFormat === 'datadog' ? 0 : 2);
  });
});
