/**
 * The shared scenario table (packages/instrument/test/shared-scenarios.ts) against real Express 4 and 5
 * servers over HTTP; metrics captured in memory with createTestClient().
 */
import { createTestClient, type TestStatsClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/express';
import express5 from 'express';
import express4 from 'express4';
import { describe, expect, it, vi } from 'vitest';
import {
  measuredRequests,
  runRequests,
  type Scenario,
  scenarioHooks,
  scenarios,
  verifyScenario,
} from '../../instrument/test/shared-scenarios.js';
import { buildApp, type ExpressModule, serve } from './helpers/app.js';

const versions: [string, ExpressModule, boolean][] = [
  ['Express 5', express5, true],
  ['Express 4', express4 as ExpressModule, false],
];

function recorded(stats: TestStatsClient): number {
  return stats.metrics.filter((m) => m.name === 'http.request').length;
}

async function run(express: ExpressModule, s: Scenario): Promise<TestStatsClient> {
  const stats = createTestClient();
  const middleware = statsdMiddleware({ client: stats, ...s.options });
  const hooks = scenarioHooks();
  await using server = await serve(buildApp(express, middleware, s.routes, hooks));
  await runRequests(server.url, s, hooks);
  await vi.waitFor(() => expect(recorded(stats)).toBe(measuredRequests(s)), { timeout: 15_000 });
  middleware.recorder.flush();
  return stats;
}

describe.each(versions)('%s: shared scenarios', (_name, express, asyncErrors) => {
  for (const s of scenarios) {
    it.skipIf(s.asyncErrors === true && !asyncErrors)(s.name, async () => {
      const stats = await run(express, s);
      expect(verifyScenario(s, stats.metrics)).toEqual([]);
      expect(stats.errors).toEqual([]);
    });
  }
});
