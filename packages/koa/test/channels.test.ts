/** Issue 16: the middleware ends requests from node:http's finish channel, with no listener per request. */
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/koa';
import Koa3 from 'koa';
import Koa2 from 'koa2';
import { describe, expect, it } from 'vitest';
import { type KoaClass, serve } from './helpers/app.js';

const versions: [string, KoaClass][] = [
  ['Koa 3', Koa3],
  ['Koa 2', Koa2 as unknown as KoaClass],
];

describe.each(versions)('%s', (_name, KoaApp) => {
  it('adds no close/finish listener to the request or the response', async () => {
    const seen: number[][] = [];
    for (const withMiddleware of [false, true]) {
      const app = new KoaApp();
      if (withMiddleware) app.use(statsdMiddleware({ client: createTestClient() }));
      let counts: number[] = [];
      app.use((ctx) => {
        counts = [
          ctx.req.listenerCount('close'),
          ctx.res.listenerCount('close'),
          ctx.res.listenerCount('finish'),
        ];
        ctx.body = 'ok';
      });
      await using server = await serve(app);
      await (await fetch(`${server.url}/`)).arrayBuffer();
      seen.push(counts);
    }
    expect(seen[1]).toEqual(seen[0]);
  });
});
