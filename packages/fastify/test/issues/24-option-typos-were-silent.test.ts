/**
 * Regression (issue 24, item 1): `register(statskit, { clinet, counterIntervall })` said nothing in plain
 * JavaScript; the metrics went to 127.0.0.1:8125. Unknown keys are now reported once at registration,
 * with the closest known key; Fastify's own register options (`prefix`, `logLevel`) are not unknown.
 */
import { createTestClient } from '@statskit/client/testing';
import statskit from '@statskit/fastify';
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, test } from 'vitest';

describe.each([
  ['Fastify 5', fastify5],
  ['Fastify 4', fastify4],
] as const)('%s', (_name, fastify) => {
  test("clinet and counterIntervall: one STATSKIT_ERR_UNKNOWN_OPTION to the client's onError", async () => {
    const stats = createTestClient();
    const app = (fastify as typeof fastify5)({ logger: false });
    await app.register(statskit, { client: stats, clinet: { port: 8135 }, counterIntervall: 10 } as never);
    await app.ready();
    expect(stats.errors.map((e) => [e.code, e.message])).toEqual([
      [
        'STATSKIT_ERR_UNKNOWN_OPTION',
        'statskit: unknown statskit plugin options "clinet" (did you mean "client"?), "counterIntervall" (did you mean "counterInterval"?); ignored',
      ],
    ]);
    await app.close();
  });

  test("Fastify's register options (prefix, logLevel) are not reported", async () => {
    const stats = createTestClient();
    const app = (fastify as typeof fastify5)({ logger: false });
    await app.register(statskit, { client: stats, prefix: 'web', logLevel: 'warn' } as never);
    await app.ready();
    expect(stats.errors).toEqual([]);
    await app.close();
  });
});
