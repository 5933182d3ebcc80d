/**
 * The shared scenario table (packages/instrument/test/shared-scenarios.ts) against real Koa 2 and 3
 * servers with @koa/router over HTTP; metrics captured in memory with createTestClient().
 */
import { createTestClient, type TestStatsClient } from '@statskit/client/testing';
import { enableRequestContext } from '@statskit/instrument';
import { statsdMiddleware } from '@statskit/koa';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it, vi } from 'vitest';
import {
  measuredRequests,
  runRequests,
  type Scenario,
  scenarioHooks,
  scenarios,
  verifyScenario,
} from '../../instrument/test/shared-scenarios.js';
import { buildApp, type KoaClass, serve } from './helpers/app.js';

const versions: [string, KoaClass][] = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as KoaClass],
];

function recorded(stats: TestStatsClient): number {
  return stats.metrics.filter((m) => m.name === 'http.request').length;
}

async function run(KoaApp: KoaClass, s: Scenario): Promise<TestStatsClient> {
  const stats = createTestClient();
  const { context, ...options } = s.options ?? {};
  if (context === true) enableRequestContext();
  const middleware = statsdMiddleware({ client: stats, ...options });
  const hooks = scenarioHooks();
  await using server = await serve(buildApp(KoaApp, middleware, s.routes, hooks));
  await runRequests(server.url, s, hooks);
  await vi.waitFor(() => expect(recorded(stats)).toBe(measuredRequests(s)), { timeout: 5000 });
  await middleware.close(); // sends the summed counters
  return stats;
}

describe.each(versions)('%s: shared scenarios', (_name, KoaApp) => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const stats = await run(KoaApp, s);
      expect(verifyScenario(s, stats.metrics)).toEqual([]);
      expect(stats.errors).toEqual([]);
    });
  }
});
