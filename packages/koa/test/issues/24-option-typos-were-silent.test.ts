/**
 * Regression (issue 24, item 1): Koa's `statsdMiddleware({ clinet, prefx })` ignored the typos silently
 * in plain JavaScript. They are now reported once, with the closest known key.
 */
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/koa';
import { expect, test } from 'vitest';

test("koa statsdMiddleware: unknown keys go to the client's onError with the closest key", async () => {
  const stats = createTestClient();
  const mw = statsdMiddleware({ client: stats, prefx: 'web', skipMethod: ['HEAD'] } as never);
  await Promise.resolve();
  expect(stats.errors.map((e) => [e.code, e.message])).toEqual([
    [
      'STATSKIT_ERR_UNKNOWN_OPTION',
      'statskit: unknown statsdMiddleware options "prefx" (did you mean "prefix"?), "skipMethod" (did you mean "skipMethods"?); ignored',
    ],
  ]);
  await mw.close();
});
