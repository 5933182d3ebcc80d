/**
 * Two statsdMiddleware() on one Koa app: the second replaced the first's per-request state, so the first
 * client sent nothing. Now the first one measures the request, the second leaves it alone and warns once.
 */
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/koa';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it, vi } from 'vitest';
import { type KoaClass, serve } from '../helpers/app.js';

const versions: [string, KoaClass][] = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as KoaClass],
];

describe.each(versions)('%s', (_name, KoaApp) => {
  it('two middlewares: the first measures every request, the second warns once and sends nothing', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    const codes: (string | undefined)[] = [];
    const first = createTestClient();
    const second = createTestClient();
    const app = new KoaApp();
    app.use(statsdMiddleware({ client: first, counterInterval: 0 }));
    app.use(statsdMiddleware({ client: second, counterInterval: 0 }));
    app.use((ctx) => {
      ctx.body = 'ok';
    });
    try {
      await using server = await serve(app);
      for (let i = 0; i < 3; i++) await (await fetch(`${server.url}/`)).text();
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      codes.push(...warn.mock.calls.map((c) => (c[1] as { code?: string } | undefined)?.code));
      warn.mockRestore();
    }
    expect(first.lines.filter((l) => l.includes('.GET:') && l.endsWith('|ms'))).not.toHaveLength(0);
    expect(first.lines.filter((l) => l.endsWith('response.200:1|c'))).not.toHaveLength(0);
    expect(second.lines).toEqual([]);
    expect(codes.filter((c) => c === 'STATSKIT_SECOND_MIDDLEWARE')).toHaveLength(1);
  });
});
