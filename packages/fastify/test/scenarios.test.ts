/**
 * The shared scenario table (packages/instrument/test/shared-scenarios.ts) against real Fastify 4 and 5
 * servers over HTTP; metrics captured in memory with createTestClient().
 */
import { createTestClient, type TestStatsClient } from '@statskit/client/testing';
import statskit from '@statskit/fastify';
import { enableRequestContext } from '@statskit/instrument';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it, vi } from 'vitest';
import {
  measuredRequests,
  runRequests,
  type Scenario,
  scenarioHooks,
  scenarios,
  verifyScenario,
} from '../../instrument/test/shared-scenarios.js';
import { buildApp, type FastifyFactory, serve } from './helpers/app.js';

const versions: [string, FastifyFactory][] = [
  ['Fastify 5', fastify5 as unknown as FastifyFactory],
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
];

function recorded(stats: TestStatsClient): number {
  return stats.metrics.filter((m) => m.name === 'http.request').length;
}

async function run(fastify: FastifyFactory, s: Scenario): Promise<TestStatsClient> {
  const stats = createTestClient();
  const { context, ...options } = s.options ?? {};
  if (context === true) enableRequestContext();
  const hooks = scenarioHooks();
  const app = await buildApp(
    fastify,
    (a) => a.register(statskit, { client: stats, ...options }),
    s.routes,
    hooks,
  );
  const server = await serve(app);
  try {
    await runRequests(server.url, s, hooks);
    await vi.waitFor(() => expect(recorded(stats)).toBe(measuredRequests(s)), { timeout: 5000 });
  } finally {
    await server.close(); // the plugin's onClose sends the summed counters
  }
  return stats;
}

describe.each(versions)('%s: shared scenarios', (_name, fastify) => {
  for (const s of scenarios) {
    it(s.name, async () => {
      const stats = await run(fastify, s);
      expect(verifyScenario(s, stats.metrics)).toEqual([]);
      expect(stats.errors).toEqual([]);
    });
  }
});
