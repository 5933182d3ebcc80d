/**
 * Issue 24, item 7: `routeSeparator` keeps a route in one Graphite node (`users-_id`), so one glob
 * selects every route; the same key is the `route` tag in tags mode. Invalid separators (a `.` mix, a
 * character a backend may not take) are refused when the recorder is created.
 */
import { InvalidOptionError } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { createRequestRecorder } from '@statskit/instrument';
import { describe, expect, test } from 'vitest';

const request = (route: string) => ({ method: 'GET', route, status: 200, durationMs: 2 });

describe('routeSeparator', () => {
  test("'-': every template is one name node; reserved keys are unchanged", async () => {
    const stats = createTestClient({ aggregate: false });
    const rec = createRequestRecorder({ client: stats, counterInterval: 0, routeSeparator: '-' });
    expect(rec.routeKey('/api/v1/items/:sku')).toBe('api-v1-items-_sku');
    expect(rec.routeKey('/users/:id')).toBe('users-_id');
    expect(rec.routeKey('/')).toBe('root');
    expect(rec.routeKey(undefined)).toBe('__unmatched__');
    rec.record(request('/users/:id'));
    await stats.flush();
    expect(stats.lines).toContain('http.view.users-_id.GET:2|ms');
  });

  test("'__' and tags mode: the route tag is the same key", async () => {
    const stats = createTestClient({ aggregate: false });
    const rec = createRequestRecorder({
      client: stats,
      counterInterval: 0,
      routeSeparator: '__',
      mode: 'tags',
    });
    rec.record(request('/users/:id'));
    await stats.flush();
    expect(
      stats.lines.some((l) => l.startsWith('http.request:2|ms|#') && l.includes('route:users___id')),
    ).toBe(true);
  });

  test.each(['', '/', '.-', ':', '-----', 5])('%j is refused with the forms that work', (routeSeparator) => {
    const stats = createTestClient();
    expect(() => createRequestRecorder({ client: stats, routeSeparator: routeSeparator as never })).toThrow(
      InvalidOptionError,
    );
  });
});
