/**
 * Regression (issue 24, item 1): typos inside the client's option objects said nothing, even with
 * onError set: `carbon: { hots, intervall }`, `graphiteWeb: { timout }`, `aggregate: { intervall }`.
 * They are reported with the top-level unknown keys, in the one construction warning.
 */
import { type ClientOptions, StatsClient, type StatsError, unknownOptionKeys } from '@statskit/client';
import { expect, test } from 'vitest';

const noop = { send() {}, flush: async () => {}, close: async () => {} };

async function reported(options: Record<string, unknown>): Promise<StatsError[]> {
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    transport: noop,
    ...(options as ClientOptions),
    onError: (e) => errors.push(e),
  });
  await Promise.resolve();
  await stats.close();
  return errors;
}

test('carbon: { hots, intervall } and graphiteWeb: { timout }: named with the closest keys', async () => {
  const errors = await reported({
    carbon: { hots: '127.0.0.1', intervall: 1000 },
    graphiteWeb: { url: 'http://127.0.0.1:8080', timout: 500 },
  });
  expect(errors.map((e) => [e.code, e.message])).toEqual([
    [
      'STATSKIT_ERR_UNKNOWN_OPTION',
      'statskit: unknown carbon options "hots" (did you mean "host"?), "intervall" (did you mean "interval"?); unknown graphiteWeb option "timout" (did you mean "timeout"?); ignored',
    ],
  ]);
});

test('aggregate: { intervall } together with a top-level typo: one warning', async () => {
  const errors = await reported({ prefx: 'app', aggregate: { intervall: 5000 } });
  expect(errors.map((e) => e.message)).toEqual([
    'statskit: unknown option "prefx" (did you mean "prefix"?); unknown aggregate option "intervall" (did you mean "interval"?); ignored',
  ]);
});

test('correct nested options and the boolean/string forms report nothing', async () => {
  expect(
    await reported({ aggregate: { interval: 500, timers: 'summary' }, graphiteWeb: 'http://x:8080' }),
  ).toEqual([]);
  expect(await reported({ aggregate: false })).toEqual([]);
});

test('unknownOptionKeys, for packages built on the client', () => {
  expect(unknownOptionKeys({ intervall: 1 }, ['interval'], 'poll option')?.message).toBe(
    'statskit: unknown poll option "intervall" (did you mean "interval"?); ignored',
  );
  expect(unknownOptionKeys({ interval: 1 }, ['interval'], 'poll option')).toBeUndefined();
  expect(unknownOptionKeys(undefined, ['interval'], 'poll option')).toBeUndefined();
});
