/**
 * The built package (dist) as users load it: CommonJS require (default and named) and ESM import,
 * each registered in a real Fastify instance. Run after `turbo run build`.
 */
import { createRequire } from 'node:module';
import { createTestClient } from '@statskit/client/testing';
import fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const kDisplayName = Symbol.for('fastify.display-name');
const kMeta = Symbol.for('plugin-meta');

type Plugin = ((...args: unknown[]) => unknown) & { [kDisplayName]?: string; [kMeta]?: { fastify?: string } };

async function works(plugin: unknown): Promise<void> {
  const stats = createTestClient();
  const app = fastify({ logger: false });
  await app.register(plugin as Parameters<typeof app.register>[0], { client: stats });
  app.get('/users/:id', async () => 'ok');
  const res = await app.inject({ url: '/users/7' });
  expect(res.statusCode).toBe(200);
  await app.close();
  expect(stats.metrics.map((m) => m.name)).toContain('http.view.users._id.GET');
}

describe('exports', () => {
  it('CommonJS: require() is the plugin itself, also as default and named, with fastify-plugin metadata', async () => {
    const mod = require('@statskit/fastify') as Plugin & {
      default: Plugin;
      statskit: Plugin;
      CLIENT_CLOSED_REQUEST: number;
    };
    expect(require.resolve('@statskit/fastify')).toMatch(/dist[\\/]index\.cjs$/);
    expect(typeof mod).toBe('function');
    expect(mod.statskit).toBe(mod);
    expect(mod.default).toBe(mod.statskit);
    // Exports and run-time names agree (issue 12, item 10).
    expect(mod.name).toBe('statskit');
    expect(mod.statskit[kDisplayName]).toBe('@statskit/fastify');
    expect(mod.statskit[kMeta]?.fastify).toBe('4.x || 5.x');
    expect(mod.CLIENT_CLOSED_REQUEST).toBe(499);
    await works(mod.default);
    await works(mod.statskit);
    await works(mod); // fastify.register(require('@statskit/fastify'))
  });

  it('ESM: import gives default and named', async () => {
    const path = new URL('../dist/index.js', import.meta.url).href;
    const mod = (await import(/* @vite-ignore */ path)) as { default: Plugin; statskit: Plugin };
    expect(mod.default).toBe(mod.statskit);
    expect(mod.statskit.name).toBe('statskit');
    expect(mod.statskit[kDisplayName]).toBe('@statskit/fastify');
    await works(mod.default);
    await works(mod.statskit);
  });
});
