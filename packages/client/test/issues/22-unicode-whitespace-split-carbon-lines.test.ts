/**
 * Regression (issue 22 item 2): carbon decodes each plaintext line as UTF-8 and splits it with
 * Python's `str.split()` (and a datagram with `str.splitlines()`), which split on every Unicode
 * whitespace: `gauge('queue\u00a0depth', 5)` or a tag value `'Ann\u2003Lee'` made a line carbon dropped
 * as invalid while telemetry counted it as sent. Every such character is now `_` in carbon names, tag
 * keys and tag values: each series below is read back from the real carbon-cache through graphite-web.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { describe, expect, it } from 'vitest';
import { CARBON_PORT, graphiteUp, render, testPrefix, waitFor } from '../helpers/graphite.js';

const up = await graphiteUp();

/** Python's str.split() whitespace set. */
const SPACES = [
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
];
const hex = (c: number): string => c.toString(16).padStart(4, '0');

interface TaggedSeries {
  readonly target: string;
  readonly tags: Record<string, string>;
  readonly datapoints: ReadonlyArray<readonly [number | null, number]>;
}

const lastValue = (s: TaggedSeries): number | null | undefined =>
  s.datapoints.filter((p) => p[0] !== null).at(-1)?.[0];

describe.skipIf(!up)(
  'Unicode whitespace in carbon names and tags, against carbon-cache + graphite-web',
  () => {
    it.each(['tcp', 'udp'] as const)(
      'over %s: every whitespace Python splits on is replaced; every series is stored',
      async (protocol) => {
        const prefix = testPrefix(`ws_${protocol}`);
        const errors: StatsError[] = [];
        const stats = new StatsClient({
          carbon: { port: CARBON_PORT, protocol, interval: 1000 },
          prefix,
          onError: (e) => errors.push(e),
        });
        SPACES.forEach((c, i) => {
          const ch = String.fromCharCode(c);
          stats.gauge(`name.n${hex(c)}${ch}x`, i + 1);
          stats.gauge('tagged', i + 1, { tags: { who: `v${hex(c)}${ch}x`, [`k${ch}`]: 'y' } });
        });
        await stats.close();
        expect(errors).toEqual([]);
        const t = stats.telemetry();
        expect(t.linesSent).toBe(2 * SPACES.length);

        const names = await waitFor(
          async () => {
            const s = (await render([`${prefix}.name.*`])) as unknown as TaggedSeries[];
            return s.filter((x) => lastValue(x) != null).length === SPACES.length ? s : undefined;
          },
          30_000,
          'every untagged series',
        );
        expect(new Map(names.map((s) => [s.target, lastValue(s)]))).toEqual(
          new Map(SPACES.map((c, i) => [`${prefix}.name.n${hex(c)}_x`, i + 1])),
        );

        const tagged = await waitFor(
          async () => {
            const s = (await render([`seriesByTag('name=${prefix}.tagged')`])) as unknown as TaggedSeries[];
            return s.filter((x) => lastValue(x) != null).length === SPACES.length ? s : undefined;
          },
          30_000,
          'every tagged series',
        );
        expect(new Map(tagged.map((s) => [s.tags['who'], [lastValue(s), s.tags['k_']]]))).toEqual(
          new Map(SPACES.map((c, i) => [`v${hex(c)}_x`, [i + 1, 'y']])),
        );
      },
      90_000,
    );
  },
);
