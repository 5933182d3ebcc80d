import type { TagFormat } from '@statskit/client';
import { createTestClient, parseLine } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';

// Per-call tags are read into scratch pieces and written straight into the packet. Those pieces were
// module-level, shared by every client in the process: a client whose tags were being read when
// another client sent a tagged metric (from the first one's onError, or from a tag getter) found its
// pieces overwritten. Each core now has its own tag writer.
describe.each<TagFormat>(['datadog', 'telegraf', 'graphite'])('%s', (tagFormat) => {
  test("onError of one client sends a tagged metric through another while the first one's tags are read", () => {
    const b = createTestClient({ tagFormat, tags: { svc: 'errors' } });
    const a = createTestClient({
      tagFormat,
      tags: { svc: 'api' },
      onError: (err) => {
        b.incr('statsd.errors', 1, { tags: { code: err.code, long: 'x'.repeat(40) } });
      },
    });
    a.timing('db.query', 4, {
      tags: { table: 'users', bad: { nested: true } as unknown as string, op: 'select' },
    });
    expect(a.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_TAG']);
    expect(a.metrics.map((m) => [m.name, m.value, m.tags])).toEqual([
      ['db.query', 4, { svc: 'api', table: 'users', op: 'select' }],
    ]);
    expect(b.metrics.map((m) => [m.name, m.value, m.tags])).toEqual([
      ['statsd.errors', 1, { svc: 'errors', code: 'STATSKIT_ERR_INVALID_TAG', long: 'x'.repeat(40) }],
    ]);
    for (const line of [...a.lines, ...b.lines]) expect(parseLine(line, tagFormat)).toBeDefined();
  });

  test("a tag getter of one client's call sends a tagged metric through another: both lines intact, the getter read once", () => {
    const b = createTestClient({ tagFormat, tags: { svc: 'audit' } });
    const a = createTestClient({ tagFormat, tags: { svc: 'api' } });
    let reads = 0;
    const tags = {
      table: 'users',
      get op(): string {
        reads++;
        b.incr('tag.read', 1, { tags: { field: 'op', long: 'y'.repeat(30) } });
        return 'select';
      },
      region: 'eu',
    };
    a.timing('db.query', 4, { tags });
    expect(reads).toBe(1);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(a.lines).toHaveLength(1);
    expect(a.metrics[0]?.tags).toEqual({ svc: 'api', table: 'users', op: 'select', region: 'eu' });
    expect(b.metrics.map((m) => [m.name, m.tags])).toEqual([
      ['tag.read', { svc: 'audit', field: 'op', long: 'y'.repeat(30) }],
    ]);
  });
});

describe.each<TagFormat>(['datadog', 'telegraf', 'graphite'])('%s, one core', (tagFormat) => {
  test('a tag getter that sends a tagged metric through the same client (or a child): no stack overflow, both lines intact', () => {
    const a = createTestClient({ tagFormat, tags: { svc: 'api' } });
    const child = a.child({ tags: { part: 'audit' } });
    let reads = 0;
    const tags = {
      table: 'users',
      get op(): string {
        reads++;
        child.incr('tag.read', 1, { tags: { field: 'op' } });
        return 'select';
      },
    };
    expect(() => a.timing('db.query', 4, { tags })).not.toThrow();
    expect(a.errors).toEqual([]);
    const query = a.metrics.filter((m) => m.name === 'db.query');
    expect(query.map((m) => m.tags)).toEqual([{ svc: 'api', table: 'users', op: 'select' }]);
    const audit = a.metrics.filter((m) => m.name === 'tag.read');
    expect(audit).toHaveLength(reads); // the getter is read again after it re-entered, at most twice
    expect(reads).toBeLessThanOrEqual(3);
    for (const m of audit) expect(m.tags).toEqual({ svc: 'api', part: 'audit', field: 'op' });
    for (const line of a.lines) expect(parseLine(line, tagFormat)).toBeDefined();
  });
});
