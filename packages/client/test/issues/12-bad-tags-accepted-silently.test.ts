/**
 * Regression (issue 12, item 21): `tags: 'env:prod'` was read character by character (`|#0:e,1:n,…`), a
 * Map gave no tags, and per-call tags were read with `for…in`, so a key added to `Object.prototype` was a
 * tag of every line. Tags are an object (own enumerable keys only), an array of strings or a Map;
 * anything else is reported: per call with STATSKIT_ERR_INVALID_TAG (the metric is still sent, without
 * those tags), at construction or child() as an InvalidOptionError.
 */
import { StatsClient, type Tags } from '@statskit/client';
import { createTestClient, MemoryTransport } from '@statskit/client/testing';
import { afterEach, describe, expect, test } from 'vitest';

const proto = Object.prototype as Record<string, unknown>;
afterEach(() => {
  delete proto.polluted;
});

describe('per-call tags', () => {
  test('a string, a number, a boolean or a function is reported, and the metric sent without it', () => {
    const stats = createTestClient({ tags: { env: 'prod' } });
    for (const bad of ['env:prod', 42, true, () => 1]) stats.incr('x', 1, { tags: bad as unknown as Tags });
    expect(stats.lines).toEqual(Array(4).fill('x:1|c|#env:prod'));
    expect(stats.errors.map((e) => e.code)).toEqual(Array(4).fill('STATSKIT_ERR_INVALID_TAG'));
    expect(stats.errors[0]?.message).toMatch(
      /tags must be an object, a Map or an array of strings, got string/,
    );
  });

  test('the same in the Telegraf and Graphite formats', () => {
    for (const tagFormat of ['telegraf', 'graphite'] as const) {
      const stats = createTestClient({ tagFormat });
      stats.timing('t', 1, { tags: 'env:prod' as unknown as Tags });
      expect(stats.lines).toEqual(['t:1|ms']);
      expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_TAG']);
    }
  });

  test('a Map is read like an object', () => {
    const stats = createTestClient({ tags: { env: 'prod' } });
    stats.incr('x', 1, {
      tags: new Map<string, string | number | boolean>([
        ['route', '/a'],
        ['n', 2],
        ['canary', true],
        ['off', false],
      ]),
    });
    stats.incr('y', 1, { tags: new Map([['env', 'dev']]) }); // wins over the client's tag
    stats.incr('z', 1, { tags: new Map([[42 as unknown as string, 'v']]) });
    expect(stats.lines).toEqual(['x:1|c|#env:prod,route:/a,n:2,canary', 'y:1|c|#env:dev', 'z:1|c|#env:prod']);
    expect(stats.errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_INVALID_TAG']);
  });

  test('keys added to Object.prototype, or inherited, are not tags', () => {
    proto.polluted = 'yes';
    const stats = createTestClient();
    const inherited = Object.assign(Object.create({ inherited: 'x' }), { a: 'b' }) as Tags;
    stats.incr('x', 1, { tags: { a: 'b' } });
    stats.incr('y', 1, { tags: inherited });
    stats.gauge('g', -1, { tags: { a: 'b' } });
    expect(() =>
      stats.time(
        't',
        () => {
          throw new Error('x');
        },
        { tags: { a: 'b' }, errorTags: { outcome: 'error' } },
      ),
    ).toThrow('x');
    expect(stats.lines.map((l) => l.replace(/:[\d.]+\|ms/, ':N|ms'))).toEqual([
      'x:1|c|#a:b',
      'y:1|c|#a:b',
      'g:0|g|#a:b',
      'g:-1|g|#a:b',
      't:N|ms|#a:b,outcome:error',
    ]);
    expect(stats.errors).toEqual([]);
  });
});

describe('client and child tags', () => {
  const client = (tags: unknown): StatsClient =>
    new StatsClient({ transport: new MemoryTransport(), tags: tags as Tags, onError: () => {} });

  test('a Map works as global and child tags', async () => {
    const memory = new MemoryTransport();
    const stats = new StatsClient({ transport: memory, batching: false, tags: new Map([['env', 'prod']]) });
    stats.child({ tags: new Map([['svc', 'api']]) }).incr('x');
    await stats.close();
    expect(memory.lines).toEqual(['x:1|c|#env:prod,svc:api']);
  });

  test('a string (or another non-tag) throws InvalidOptionError at construction and in child()', () => {
    expect(() => client('env:prod')).toThrow(
      expect.objectContaining({ code: 'STATSKIT_ERR_INVALID_OPTION' }),
    );
    const stats = client({ env: 'prod' });
    for (const bad of ['env:prod', 42, true]) {
      expect(() => stats.child({ tags: bad as unknown as Tags }), String(bad)).toThrow(
        expect.objectContaining({ code: 'STATSKIT_ERR_INVALID_OPTION' }),
      );
    }
  });

  test('keys added to Object.prototype are not global or child tags', async () => {
    proto.polluted = 'yes';
    const memory = new MemoryTransport();
    const stats = new StatsClient({ transport: memory, batching: false, tags: { env: 'prod' } });
    stats.child({ tags: { svc: 'api' } }).incr('x');
    await stats.close();
    expect(memory.lines).toEqual(['x:1|c|#env:prod,svc:api']);
  });
});
