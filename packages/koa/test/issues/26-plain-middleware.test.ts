/**
 * Issue 26: the middleware is no longer an `async` function (it returns the rest of the chain's promise
 * with one rejection handler). What an `async` function gave for free must still hold when the
 * middleware is driven by something other than koa-compose: a `next` that throws synchronously gives a
 * rejected promise (the very error, never a synchronous throw), the request counts as failed, and a
 * value resolved by `next` is handed back unchanged.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestClient } from '@statskit/client/testing';
import { statsdMiddleware } from '@statskit/koa';
import Koa from 'koa';
import { describe, expect, it } from 'vitest';

type Outcome = { threw: boolean; value?: unknown; rejected?: unknown };

/** A real server whose requests run the middleware with `next` from `nextFor`, outside koa-compose. */
async function drive(nextFor: () => () => Promise<unknown>) {
  const client = createTestClient();
  const app = new Koa();
  const middleware = statsdMiddleware({ client, counterInterval: 0 });
  const outcomes: Outcome[] = [];
  const server = http.createServer((req, res) => {
    const ctx = app.createContext(req, res);
    let result: Promise<unknown>;
    try {
      result = middleware(ctx, nextFor()) as Promise<unknown>;
    } catch {
      outcomes.push({ threw: true });
      res.statusCode = 500;
      res.end();
      return;
    }
    result.then(
      (value) => {
        outcomes.push({ threw: false, value });
        res.end('ok');
      },
      (err: unknown) => {
        outcomes.push({ threw: false, rejected: err });
        res.statusCode = 500;
        res.end();
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    await (await fetch(`http://127.0.0.1:${port}/x`)).text();
    await new Promise((r) => setTimeout(r, 20));
  } finally {
    server.close();
  }
  await middleware.close();
  return { outcomes, lines: client.lines };
}

describe('issue 26: the middleware outside koa-compose', () => {
  it('a next that throws synchronously: a rejected promise with the very error, recorded as failed', async () => {
    const boom = new Error('thrown synchronously');
    const { outcomes, lines } = await drive(() => () => {
      throw boom;
    });
    expect(outcomes).toEqual([{ threw: false, rejected: boom }]);
    expect(outcomes[0]?.rejected).toBe(boom);
    expect(lines.filter((l) => l.endsWith('response.500:1|c'))).not.toHaveLength(0);
    expect(lines.filter((l) => /\.errors:1\|c$/.test(l))).not.toHaveLength(0);
  });

  it('a value resolved by next is handed back unchanged; the request is measured', async () => {
    const value = { resolved: true };
    const { outcomes, lines } = await drive(() => () => Promise.resolve(value));
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]?.value).toBe(value);
    expect(lines.filter((l) => l.endsWith('response.200:1|c'))).not.toHaveLength(0);
    expect(lines.filter((l) => /\.errors:1\|c$/.test(l))).toHaveLength(0);
  });
});
