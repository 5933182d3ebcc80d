/**
 * Regression (issue 22 item 1): a carbon tag value forged a Graphite tag. carbon 1.1's
 * `TaggedSeries.parse` reads a path that ends in `"}` and holds a `{` as OpenMetrics (`name{k="v"}`):
 * `shop.queue.depth;env=staging;route=/users/x{env="prod"}` was stored by the real carbon-cache and
 * graphite-web with `env=prod` — the client's `env=staging` replaced. Carbon tag keys and values now
 * follow carbon's own rules (no `;` `"` `~`, keys no `!^=`, no whitespace): read back through
 * graphite-web, the series keeps the client's tags and the caller's value stays one value.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { describe, expect, it } from 'vitest';
import { CARBON_PORT, graphiteUp, render, testPrefix, WEB_URL, waitFor } from '../helpers/graphite.js';

const up = await graphiteUp();

interface TaggedSeries {
  readonly target: string;
  readonly tags: Record<string, string>;
  readonly datapoints: ReadonlyArray<readonly [number | null, number]>;
}

describe.skipIf(!up)('carbon tags against carbon-cache + graphite-web', () => {
  it('a value shaped like OpenMetrics (`x{env="prod"}`) stays one value; the client tag is kept', async () => {
    const prefix = testPrefix('forge');
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      carbon: { port: CARBON_PORT, interval: 1000 },
      prefix,
      tags: { env: 'staging' },
      onError: (e) => errors.push(e),
    });
    stats.gauge('queue.depth', 42, { tags: { route: '/users/x{env="prod"}' } });
    // the key and value of the last tag both try it
    stats.gauge('jobs', 7, { tags: { 'k{a="b"}': 'v{env="prod"}' } });
    await stats.close();
    expect(errors).toEqual([]);

    const find = async (name: string): Promise<TaggedSeries> =>
      waitFor(
        async () => {
          const s = (await render([`seriesByTag('name=${prefix}.${name}')`])) as unknown as TaggedSeries[];
          return s.find((x) => x.datapoints.some((p) => p[0] !== null));
        },
        30_000,
        `the tagged series ${name}`,
      );
    const depth = await find('queue.depth');
    expect(depth.tags).toEqual({
      name: `${prefix}.queue.depth`,
      env: 'staging',
      route: '/users/x{env=_prod_}',
    });
    expect(depth.datapoints.filter((p) => p[0] !== null).map((p) => p[0])).toContain(42);
    const jobs = await find('jobs');
    expect(jobs.tags).toEqual({ name: `${prefix}.jobs`, env: 'staging', 'k{a__b_}': 'v{env=_prod_}' });

    // graphite-web's tag index: `env` has only the client's value for these series
    const res = await fetch(
      `${WEB_URL}/tags/findSeries?expr=${encodeURIComponent(`name=~^${prefix.replaceAll('.', '\\.')}\\.`)}&expr=env=prod`,
    );
    expect(await res.json()).toEqual([]);
  }, 60_000);
});
