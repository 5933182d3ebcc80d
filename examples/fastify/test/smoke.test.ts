/** The example app, served on loopback and driven with fetch: the catalogue names appear. */
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript example, no types
import { buildApp } from '../src/server.mjs';

describe('examples/fastify', () => {
  it('serves and reports the catalogue', async () => {
    const stats = createTestClient({ prefix: 'example' });
    const app = await buildApp({ client: stats });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${app.server.address().port}`;
    const statuses: number[] = [];
    for (const [method, path] of [
      ['GET', '/users/1'],
      ['GET', '/users/2'],
      ['POST', '/orders'],
      ['GET', '/api/v1/items/9'],
      ['GET', '/boom'],
      ['GET', '/nope'],
      ['GET', '/healthz'],
      ['GET', '/admin'],
    ]) {
      const res = await fetch(`${base}${path}`, { method });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    await app.close();
    expect(statuses).toEqual([200, 200, 201, 200, 500, 404, 200, 200]);
    const names = stats.metrics.map((m) => m.name);
    for (const n of [
      'example.http.view.users._id.GET',
      'example.http.view.orders.POST',
      'example.http.view.api.v1.items._id.GET',
      'example.http.view.boom.errors',
      'example.http.view.__unmatched__.response.404',
      'example.users.lookups',
    ]) {
      expect(names).toContain(n);
    }
    expect(names.filter((n) => n === 'example.http.request')).toHaveLength(6);
  });
});
