import { InvalidOptionError } from '@statskit/client';
import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { instrumentRedis, uninstrumentRedis } from '../../src/db/ioredis.js';
import { REDIS, serverUp, uniqueName } from '../helpers/servers.js';

const up = await serverUp(REDIS);

function timings(stats: TestStatsClient, name: string): number[] {
  return findMetrics(stats, name, { type: 'ms' }).map((m) => m.value as number);
}

function counter(stats: TestStatsClient, name: string): number {
  return findMetrics(stats, name, { type: 'c' }).reduce((sum, m) => sum + (m.value as number), 0);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!up)('ioredis (real server)', () => {
  const prefix = uniqueName('statskit');
  const key = (k: string): string => `${prefix}:${k}`;
  let plain: Redis;
  let redis: Redis;
  let stats: TestStatsClient;

  beforeAll(async () => {
    stats = createTestClient();
    plain = new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true });
    redis = instrumentRedis(new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true }), {
      stats,
      name: 'main',
    });
    await Promise.all([plain.connect(), redis.connect()]);
  });

  afterAll(async () => {
    const keys = plain ? await plain.keys(`${prefix}:*`) : [];
    if (keys.length > 0) await plain.del(...keys);
    await Promise.all([plain?.quit(), redis?.quit()]);
  });

  beforeEach(() => stats.clear());

  it('times commands as cache.redis.<name>.<command>, counts hits and misses, same replies', async () => {
    expect(await redis.get(key('a'))).toBe(await plain.get(key('a')));
    expect(await redis.set(key('a'), '1')).toBe('OK');
    expect(await redis.get(key('a'))).toBe('1');
    expect(await redis.mget(key('a'), key('nope'), key('a'))).toEqual(
      await plain.mget(key('a'), key('nope'), key('a')),
    );
    await redis.hset(key('h'), 'f', 'v');
    expect(await redis.hget(key('h'), 'f')).toBe('v');
    expect(await redis.hgetall(key('h'))).toEqual(await plain.hgetall(key('h')));
    expect(await redis.getBuffer(key('a'))).toEqual(await plain.getBuffer(key('a')));

    expect(timings(stats, 'cache.redis.main.get')).toHaveLength(3); // get, get, getBuffer
    for (const ms of timings(stats, 'cache.redis.main.get')) expect(ms).toBeGreaterThan(0);
    expect(timings(stats, 'cache.redis.main.set')).toHaveLength(1);
    expect(timings(stats, 'cache.redis.main.hgetall')).toHaveLength(1);
    expect(counter(stats, 'cache.redis.main.get.miss')).toBe(1);
    expect(counter(stats, 'cache.redis.main.get.hit')).toBe(2);
    expect(counter(stats, 'cache.redis.main.mget.hit')).toBe(2);
    expect(counter(stats, 'cache.redis.main.mget.miss')).toBe(1);
    expect(counter(stats, 'cache.redis.main.hget.hit')).toBe(1);
    expect(findMetrics(stats, 'cache.redis.main.set.hit')).toEqual([]);
    expect(stats.metrics.every((m) => !m.name.includes(prefix))).toBe(true);
  });

  it('errors: counted, and the same error as plain ioredis (promise and callback)', async () => {
    await plain.set(key('str'), 'x');
    const mine = (await rejection(redis.lpush(key('str'), 'y'))) as Error;
    const theirs = (await rejection(plain.lpush(key('str'), 'y'))) as Error;
    expect(mine.constructor).toBe(theirs.constructor);
    expect(mine.message).toBe(theirs.message);
    const viaCallback = await new Promise<unknown>((resolve) => {
      redis.lpush(key('str'), 'y', (err) => resolve(err));
    });
    expect((viaCallback as Error).message).toBe(theirs.message);
    expect(timings(stats, 'cache.redis.main.lpush')).toHaveLength(2);
    expect(counter(stats, 'cache.redis.main.lpush.errors')).toBe(2);
  });

  it('callback API gets the same arguments', async () => {
    await plain.set(key('cb'), 'v');
    const args = await new Promise<unknown[]>((resolve) => {
      redis.get(key('cb'), (...a: unknown[]) => resolve(a));
    });
    expect(args).toEqual([null, 'v']);
    expect(counter(stats, 'cache.redis.main.get.hit')).toBe(1);
  });

  it('pipelines and transactions: each command timed once, results unchanged', async () => {
    const run = (r: Redis) => r.pipeline().set(key('p'), '1').incr(key('p')).get(key('p')).exec();
    const mine = await run(redis);
    expect(mine).toEqual([
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
    const tx = await redis.multi().incr(key('p')).get(key('p')).exec();
    expect(tx).toEqual([
      [null, 3],
      [null, '3'],
    ]);
    expect(timings(stats, 'cache.redis.main.set')).toHaveLength(1);
    expect(timings(stats, 'cache.redis.main.incr')).toHaveLength(2);
    expect(timings(stats, 'cache.redis.main.get')).toHaveLength(2);
    expect(timings(stats, 'cache.redis.main.multi')).toHaveLength(1);
    expect(timings(stats, 'cache.redis.main.exec')).toHaveLength(1);
  });

  it('adds each command to the current request as cache', async () => {
    const ctx = new RequestContext();
    await runWithRequest(ctx, async () => {
      await redis.set(key('r'), '1');
      await redis.get(key('r'));
      await Promise.all([redis.get(key('r')), redis.get(key('r'))]);
    });
    await redis.get(key('r'));
    expect(ctx.count('cache')).toBe(4);
    expect(ctx.count('db')).toBe(0);
    expect(ctx.timeMs('cache')).toBeGreaterThan(0);
  });

  it('tags mode', async () => {
    const tagged = createTestClient();
    const r = instrumentRedis(new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true }), {
      stats: tagged,
      name: 'sessions',
      mode: 'tags',
    });
    try {
      await r.connect();
      tagged.clear(); // connection handshake commands
      await r.get(key('none'));
    } finally {
      await r.quit();
    }
    const tags = { 'cache.system': 'redis', 'cache.name': 'sessions', command: 'get' };
    expect(findMetrics(tagged, 'cache.command', { type: 'ms', tags })).toHaveLength(1);
    expect(findMetrics(tagged, 'cache.miss', { type: 'c', value: 1, tags })).toHaveLength(1);
  });

  it('uninstrumentRedis stops recording', async () => {
    const r = instrumentRedis(new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true }), {
      stats,
      name: 'off',
    });
    try {
      await r.connect();
      uninstrumentRedis(r);
      stats.clear();
      await r.get(key('x'));
    } finally {
      await r.quit();
    }
    expect(stats.metrics).toEqual([]);
  });

  describe('connection set-up commands', () => {
    const names = (t: TestStatsClient): string[] => [...new Set(t.metrics.map((m) => m.name))].sort();

    it('are left out by default, on connect and reconnect; the app’s own INFO and early commands count', async () => {
      const own = createTestClient();
      const ctx = new RequestContext();
      // connects at once (no lazyConnect) and inside a request: the handshake must not count there either
      const r = runWithRequest(ctx, () =>
        instrumentRedis(
          new Redis({ host: REDIS.host, port: REDIS.port, connectionName: 'statskit-test', db: 1 }),
          {
            stats: own,
            name: 'conn',
          },
        ),
      );
      try {
        // sent before the connection is ready: waits in the offline queue, then is timed as usual
        expect(await r.get(key('early'))).toBeNull();
        await new Promise<void>((resolve) =>
          r.status === 'ready' ? resolve() : r.once('ready', () => resolve()),
        );
        expect(names(own)).toEqual(['cache.redis.conn.get', 'cache.redis.conn.get.miss']);
        expect(ctx.count('cache')).toBe(0); // the get ran outside the request
        // a reconnect runs the handshake again
        const ready = new Promise<void>((resolve) => r.once('ready', () => resolve()));
        r.disconnect(true);
        await ready;
        expect(names(own)).toEqual(['cache.redis.conn.get', 'cache.redis.conn.get.miss']);
        // the app's own INFO and CLIENT are its commands
        await r.info('server');
        await r.client('GETNAME');
        expect(findMetrics(own, 'cache.redis.conn.info', { type: 'ms' })).toHaveLength(1);
        expect(findMetrics(own, 'cache.redis.conn.client', { type: 'ms' })).toHaveLength(1);
        expect(own.metrics.filter((m) => m.name.endsWith('.errors'))).toEqual([]);
      } finally {
        await r.quit();
      }
    });

    it('connectionCommands: true times them', async () => {
      const own = createTestClient();
      const r = instrumentRedis(new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true, db: 1 }), {
        stats: own,
        name: 'conn',
        connectionCommands: true,
      });
      try {
        await r.connect();
      } finally {
        await r.quit();
      }
      expect(names(own)).toEqual(
        expect.arrayContaining([
          'cache.redis.conn.client',
          'cache.redis.conn.info',
          'cache.redis.conn.select',
        ]),
      );
    });

    it('rejects a non-boolean connectionCommands', () => {
      expect(() =>
        instrumentRedis(new Redis({ lazyConnect: true }), {
          stats,
          connectionCommands: 'yes' as unknown as boolean,
        }),
      ).toThrow(InvalidOptionError);
    });
  });
});
