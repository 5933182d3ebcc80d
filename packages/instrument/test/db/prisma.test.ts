/**
 * NOT a test against real Prisma (`@prisma/client` needs a generated client and engines): a hand-made
 * client that follows Prisma's documented extension contract — `$extends({ query: { $allOperations } })`
 * calls the hook with `{ model, operation, args, query }` and returns what it returns.
 */
import { createTestClient, findMetrics } from '@statskit/client/testing';
import { describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { type PrismaStatsExtension, prismaStats } from '../../src/db/prisma.js';

interface User {
  id: number;
  name: string;
}

class FakeError extends Error {
  code = 'P2002';
}

/** A base client and `$extends` as Prisma documents them (enough of it for a query extension). */
function fakePrisma() {
  const users: User[] = [{ id: 1, name: 'a' }];
  const base = {
    user: {
      findMany: async (_args: unknown): Promise<User[]> => {
        await new Promise((r) => setTimeout(r, 2));
        return users;
      },
      create: async (args: unknown): Promise<User> => {
        const data = (args as { data: User }).data;
        if (users.some((u) => u.id === data.id)) throw new FakeError('Unique constraint failed');
        users.push(data);
        return data;
      },
    },
    $queryRaw: async (_args: unknown): Promise<unknown[]> => [{ one: 1 }],
  };
  const $extends = (ext: PrismaStatsExtension) => {
    const hook = ext.query.$allOperations;
    const op =
      <A, R>(model: string | undefined, operation: string, fn: (args: A) => Promise<R>) =>
      (args: A): Promise<R> =>
        hook({ model, operation, args, query: (a) => fn(a as A) }) as Promise<R>;
    return {
      user: {
        findMany: op('User', 'findMany', base.user.findMany),
        create: op('User', 'create', base.user.create),
        aggregate: op('User', 'someFutureOperation', base.user.findMany),
      },
      $queryRaw: op(undefined, '$queryRaw', base.$queryRaw),
    };
  };
  return { base, users, $extends };
}

describe('prismaStats (hand-made client following the extension contract; not real Prisma)', () => {
  it('times operations by name, results and errors unchanged, request totals', async () => {
    const stats = createTestClient();
    const fake = fakePrisma();
    const prisma = fake.$extends(prismaStats({ stats, name: 'main' }));
    const ctx = new RequestContext();
    const found = await runWithRequest(ctx, async () => {
      const rows = await prisma.user.findMany({});
      await prisma.user.create({ data: { id: 2, name: 'b' } });
      await prisma.$queryRaw({});
      return rows;
    });
    expect(found).toBe(fake.users); // the same object
    const err = await prisma.user.create({ data: { id: 1, name: 'dup' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FakeError);
    await prisma.user.aggregate({});

    expect(ctx.count('db')).toBe(3);
    const [findMany] = findMetrics(stats, 'db.prisma.main.query.findMany', { type: 'ms' });
    expect(findMany?.value).toBeGreaterThan(0);
    expect(findMetrics(stats, 'db.prisma.main.query.create', { type: 'ms' })).toHaveLength(2);
    expect(findMetrics(stats, 'db.prisma.main.query.create.errors', { type: 'c', value: 1 })).toHaveLength(1);
    expect(findMetrics(stats, 'db.prisma.main.query.queryRaw', { type: 'ms' })).toHaveLength(1);
    expect(findMetrics(stats, 'db.prisma.main.query.other', { type: 'ms' })).toHaveLength(1);
  });

  it('tags mode', async () => {
    const stats = createTestClient();
    const prisma = fakePrisma().$extends(prismaStats({ stats, mode: 'tags' }));
    await prisma.user.findMany({});
    expect(
      findMetrics(stats, 'db.query', {
        tags: { 'db.system': 'prisma', 'db.name': 'default', operation: 'findMany' },
      }),
    ).toHaveLength(1);
  });
});
