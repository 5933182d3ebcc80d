/**
 * The built package (dist) as users load it: CommonJS require and ESM import. Run after
 * `turbo run build`. Exports and run-time names agree (issue 12, item 10): the factory is
 * `statsdMiddleware`, and so is the middleware it returns (as `app.router.stack` and stack traces show it).
 */
import { createRequire } from 'node:module';
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);

type Factory = ((options: {
  client: unknown;
}) => ((...args: unknown[]) => void) & { close(): Promise<void> }) & {
  readonly name: string;
};

async function named(statsdMiddleware: Factory): Promise<void> {
  expect(statsdMiddleware.name).toBe('statsdMiddleware');
  const middleware = statsdMiddleware({ client: createTestClient() });
  expect(middleware.name).toBe('statsdMiddleware');
  await middleware.close();
}

describe('exports', () => {
  it('CommonJS: require() gives statsdMiddleware, named so at run time', async () => {
    expect(require.resolve('@statskit/express')).toMatch(/dist[\\/]index\.cjs$/);
    const mod = require('@statskit/express') as { statsdMiddleware: Factory; CLIENT_CLOSED_REQUEST: number };
    expect(mod.CLIENT_CLOSED_REQUEST).toBe(499);
    await named(mod.statsdMiddleware);
  });

  it('ESM: import gives statsdMiddleware, named so at run time', async () => {
    const path = new URL('../dist/index.js', import.meta.url).href;
    const mod = (await import(/* @vite-ignore */ path)) as { statsdMiddleware: Factory };
    await named(mod.statsdMiddleware);
  });
});
