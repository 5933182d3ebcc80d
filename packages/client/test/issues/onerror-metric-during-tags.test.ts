import type { StatsError, TagFormat } from '@statskit/client';
import { createTestClient, parseLine } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';

// Per-call tags are read into pieces shared by every call and written straight into the packet. An
// onError callback that sends a tagged metric while a call's tags are still being read (a bad tag is
// reported mid-way) reuses those pieces; the outer call must still send its own tags, well formed.
describe.each<TagFormat>(['datadog', 'telegraf', 'graphite'])('%s', (tagFormat) => {
  test('a tagged metric sent from onError during tag reading leaves both lines intact', () => {
    let stats: ReturnType<typeof createTestClient> | undefined;
    const seen: StatsError[] = [];
    stats = createTestClient({
      tagFormat,
      tags: { svc: 'api' },
      onError: (err) => {
        seen.push(err);
        stats?.incr('statsd.errors', 1, { tags: { code: err.code, long: 'x'.repeat(40) } });
      },
    });
    stats.timing('db.query', 4, {
      tags: { table: 'users', bad: { nested: true } as unknown as string, op: 'select' },
    });
    expect(seen.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_TAG']);
    const byName = new Map(stats.metrics.map((m) => [m.name, m]));
    expect(byName.get('db.query')?.tags).toEqual({ svc: 'api', table: 'users', op: 'select' });
    expect(byName.get('statsd.errors')?.tags).toEqual({
      svc: 'api',
      code: 'STATSKIT_ERR_INVALID_TAG',
      long: 'x'.repeat(40),
    });
    for (const line of stats.lines) expect(parseLine(line, tagFormat)).toBeDefined();
    expect(stats.lines).toHaveLength(2);
  });
});
