/**
 * Regression (issue 22 item 4): annotate() against the real graphite-web `/events/` API.
 * - A `,` or `"` in a tag forged event tags: `tags: ['api', 'build,deploy']` was stored as
 *   `["api build", "deploy"]` (django-tagging switches to commas as soon as one appears, and reads
 *   `"…"` as one tag), so `events('deploy')` matched and `events('api')` did not. Every character
 *   graphite-web splits event tags on (those, and Python's whitespace) is now `_`.
 * - A lone surrogate in what/data/tags got HTTP 500 and the event was lost: it is U+FFFD now, as on
 *   the statsd path.
 * - `when: Date.now()` (milliseconds) got HTTP 500: a `when` from 1e11 up (the year 5138) is refused up
 *   front with STATSKIT_ERR_INVALID_VALUE, as is a non-finite one or an invalid Date.
 */
import { ErrorCodes, StatsClient, type StatsError } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { graphiteUp, WEB_URL } from '../helpers/graphite.js';

const up = await graphiteUp();

interface StoredEvent {
  readonly what: string;
  readonly tags: string[];
  readonly data: string;
  readonly when: number;
}

async function eventsTagged(tag: string): Promise<StoredEvent[]> {
  const res = await fetch(`${WEB_URL}/events/get_data?tags=${encodeURIComponent(tag)}&from=-1h`);
  return (await res.json()) as StoredEvent[];
}

describe.skipIf(!up)('annotate() against graphite-web', () => {
  const run = `${process.pid}_${Date.now().toString(36)}`;

  test('no tag can split into other tags; each is stored as one word', async () => {
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      graphiteWeb: { url: WEB_URL, timeout: 20_000 },
      onError: (e) => errors.push(e),
    });
    const u = `forge_${run}`;
    const ok = await stats.annotate('deploy api', {
      tags: [u, 'build,deploy', 'say"hi"', 'a\u00a0b', 'x\u2028y', 'p\u0085q', 'tab\tz'],
    });
    const okObject = await stats.annotate('deploy api', { tags: { [`o${u}`]: true, 'k,1': 'v"2' } });
    await stats.close();
    expect(errors).toEqual([]);
    expect([ok, okObject]).toEqual([true, true]);
    const [stored] = await eventsTagged(u);
    expect(stored?.tags.sort()).toEqual([u, 'a_b', 'build_deploy', 'p_q', 'say_hi_', 'tab_z', 'x_y'].sort());
    const [storedObject] = await eventsTagged(`o${u}`);
    expect(storedObject?.tags.sort()).toEqual([`o${u}`, 'k_1=v_2'].sort());
    // no forged tag: an event of this run is never found under a word from inside a tag
    for (const forged of ['deploy', 'build', 'hi', 'say']) {
      const found = await eventsTagged(forged);
      expect(found.filter((e) => e.tags.includes(u))).toEqual([]);
    }
  }, 60_000);

  test('lone surrogates in what, data and tags are U+FFFD: the event is stored', async () => {
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      graphiteWeb: { url: WEB_URL, timeout: 20_000 },
      onError: (e) => errors.push(e),
    });
    const u = `surrogate_${run}`;
    const ok = await stats.annotate('deploy \ud800 api', { tags: [u, 't\udc00'], data: 'd\udbff' });
    await stats.close();
    expect(errors).toEqual([]);
    expect(ok).toBe(true);
    const [stored] = await eventsTagged(u);
    expect(stored).toMatchObject({ what: 'deploy \ufffd api', data: 'd\ufffd' });
    expect(stored?.tags.sort()).toEqual([u, 't\ufffd'].sort());
  }, 60_000);

  test('`when` in milliseconds, not finite or an invalid Date: refused up front, coded; seconds work', async () => {
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      graphiteWeb: { url: WEB_URL, timeout: 20_000 },
      onError: (e) => errors.push(e),
    });
    const u = `when_${run}`;
    const refused = await Promise.all([
      stats.annotate('ms', { tags: [u], when: Date.now() }),
      stats.annotate('nan', { tags: [u], when: Number.NaN }),
      stats.annotate('inf', { tags: [u], when: Number.POSITIVE_INFINITY }),
      stats.annotate('bad date', { tags: [u], when: new Date('not a date') }),
      stats.annotate('1e11', { tags: [u], when: 1e11 }),
    ]);
    expect(refused).toEqual([false, false, false, false, false]);
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill(ErrorCodes.INVALID_VALUE));
    expect(errors[0]?.message).toMatch(/milliseconds/);
    const seconds = Math.floor(Date.now() / 1000) - 60;
    expect(await stats.annotate('seconds', { tags: [u], when: seconds })).toBe(true);
    expect(await stats.annotate('date', { tags: [u], when: new Date(seconds * 1000) })).toBe(true);
    await stats.close();
    const stored = await eventsTagged(u);
    expect(stored.map((e) => [e.what, e.when]).sort()).toEqual([
      ['date', seconds],
      ['seconds', seconds],
    ]);
    expect(errors).toHaveLength(5);
  }, 60_000);
});
