/**
 * Real Prisma 7 (`prisma-client` generator, wasm query compiler, `@prisma/adapter-pg` over node-postgres)
 * against the real PostgreSQL of `.ci/services`. The client is generated from ./prisma/schema.prisma by
 * the project's globalSetup (./prisma/generate.mjs, offline). Each run uses its own PostgreSQL schema,
 * created with plain SQL (no migrations, no schema engine).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { prismaStats } from '../../src/db/prisma.js';
import { POSTGRES, pgConfig, serverUp, uniqueName } from '../helpers/servers.js';
import { Prisma, PrismaClient } from './prisma/generated/client.js';

const up = await serverUp(POSTGRES);

/** Timers recorded under `name`, as numbers. */
function timings(stats: TestStatsClient, name: string): number[] {
  return findMetrics(stats, name, { type: 'ms' }).map((m) => m.value as number);
}

async function rejection(p: PromiseLike<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

/**
 * Prisma errors compared by what a caller looks at. The message starts with the call site
 * ("Invalid `prisma.widget.create()` invocation in <file>:<line>"), so only its last line is compared.
 */
function errorShape(err: unknown): Record<string, unknown> {
  const e = err as Prisma.PrismaClientKnownRequestError;
  const reason = e.message.trim().split('\n').at(-1);
  return { cls: e.constructor.name, code: e.code, reason, meta: e.meta, clientVersion: e.clientVersion };
}

describe.skipIf(!up)('Prisma 7 (real client, driver adapter, real PostgreSQL)', () => {
  const schema = uniqueName('statskit_prisma');
  const table = Prisma.raw(`"${schema}".statskit_prisma_widget`);
  const newClient = () => new PrismaClient({ adapter: new PrismaPg({ ...pgConfig, max: 2 }, { schema }) });
  let admin: pg.Client;
  let plain: PrismaClient;
  let stats: TestStatsClient;
  let prisma: ReturnType<typeof extend>;
  const extend = (client: PrismaClient, s: TestStatsClient) =>
    client.$extends(prismaStats({ stats: s, name: 'main' }));

  beforeAll(async () => {
    admin = new pg.Client(pgConfig);
    await admin.connect();
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(
      `CREATE TABLE "${schema}".statskit_prisma_widget (id serial PRIMARY KEY, name text NOT NULL UNIQUE)`,
    );
    plain = newClient();
    stats = createTestClient();
    prisma = extend(newClient(), stats);
  });

  afterAll(async () => {
    await Promise.all([plain?.$disconnect(), prisma?.$disconnect()]);
    await admin?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin?.end();
  });

  beforeEach(async () => {
    await admin.query(`TRUNCATE "${schema}".statskit_prisma_widget RESTART IDENTITY`);
    stats.clear();
  });

  it('passes the hook what the extension expects: model name, operation with `$` for raw ones', async () => {
    const seen: { model: string | undefined; operation: string }[] = [];
    const recorder = newClient().$extends({
      name: 'recorder',
      query: {
        async $allOperations({ model, operation, args, query }) {
          seen.push({ model, operation });
          return query(args);
        },
      },
    });
    try {
      await recorder.widget.create({ data: { name: 'a' } });
      await recorder.widget.findMany();
      await recorder.widget.count();
      await recorder.$queryRaw`SELECT 1 AS one`;
      await recorder.$executeRaw`SELECT 1`;
      await recorder.$queryRawUnsafe('SELECT $1::int AS x', 1);
      await recorder.$executeRawUnsafe('SELECT 1');
    } finally {
      await recorder.$disconnect();
    }
    expect(seen).toEqual([
      { model: 'Widget', operation: 'create' },
      { model: 'Widget', operation: 'findMany' },
      { model: 'Widget', operation: 'count' },
      { model: undefined, operation: '$queryRaw' },
      { model: undefined, operation: '$executeRaw' },
      { model: undefined, operation: '$queryRawUnsafe' },
      { model: undefined, operation: '$executeRawUnsafe' },
    ]);
  });

  it('times every model operation by name; results identical to the plain client', async () => {
    const created = await prisma.widget.create({ data: { name: 'a' } });
    expect(created).toEqual({ id: 1, name: 'a' });
    expect(await prisma.widget.createMany({ data: [{ name: 'b' }, { name: 'c' }] })).toEqual({ count: 2 });
    const all = await prisma.widget.findMany({ orderBy: { id: 'asc' } });
    expect(all).toEqual(await plain.widget.findMany({ orderBy: { id: 'asc' } }));
    expect(all.map((w) => w.name)).toEqual(['a', 'b', 'c']);
    expect(await prisma.widget.findUnique({ where: { name: 'b' } })).toEqual({ id: 2, name: 'b' });
    expect(await prisma.widget.findFirst({ where: { name: 'nope' } })).toBeNull();
    expect(await prisma.widget.count()).toBe(3);
    expect(await prisma.widget.aggregate({ _max: { id: true } })).toEqual({ _max: { id: 3 } });
    expect(await prisma.widget.groupBy({ by: ['name'], orderBy: { name: 'asc' } })).toHaveLength(3);
    expect(await prisma.widget.update({ where: { name: 'a' }, data: { name: 'a2' } })).toEqual({
      id: 1,
      name: 'a2',
    });
    await prisma.widget.updateMany({ where: { name: 'b' }, data: { name: 'b2' } });
    await prisma.widget.upsert({ where: { name: 'z' }, create: { name: 'z' }, update: {} });
    await prisma.widget.delete({ where: { name: 'z' } });
    expect(await prisma.widget.deleteMany({ where: { name: 'c' } })).toEqual({ count: 1 });
    expect(await prisma.widget.createManyAndReturn({ data: [{ name: 'd' }] })).toEqual([
      { id: 5, name: 'd' },
    ]);
    expect(await prisma.widget.updateManyAndReturn({ where: { name: 'd' }, data: { name: 'd2' } })).toEqual([
      { id: 5, name: 'd2' },
    ]);
    expect(await prisma.widget.findFirstOrThrow({ where: { name: 'd2' } })).toEqual({ id: 5, name: 'd2' });
    expect(await prisma.widget.findUniqueOrThrow({ where: { id: 5 } })).toEqual({ id: 5, name: 'd2' });

    for (const op of [
      'create',
      'createMany',
      'findMany',
      'findUnique',
      'findFirst',
      'count',
      'aggregate',
      'groupBy',
      'update',
      'updateMany',
      'upsert',
      'delete',
      'deleteMany',
      'createManyAndReturn',
      'updateManyAndReturn',
      'findFirstOrThrow',
      'findUniqueOrThrow',
    ]) {
      const t = timings(stats, `db.prisma.main.query.${op}`);
      expect(t, op).toHaveLength(1);
      expect(t[0], op).toBeGreaterThan(0);
    }
    expect(findMetrics(stats, 'db.prisma.main.query.other')).toEqual([]);
    expect(stats.metrics.filter((m) => m.name.includes('.errors'))).toEqual([]);
    expect(stats.errors).toEqual([]);
  });

  it('raw queries: `$` dropped from the name, results unchanged', async () => {
    await prisma.widget.create({ data: { name: 'a' } });
    const rows = await prisma.$queryRaw<{ c: number }[]>`SELECT count(*)::int AS c FROM ${table}`;
    expect(rows).toEqual([{ c: 1 }]);
    expect(await prisma.$executeRaw`UPDATE ${table} SET name = ${'a1'} WHERE name = ${'a'}`).toBe(1);
    expect(await prisma.$queryRawUnsafe('SELECT $1::int AS x', 7)).toEqual([{ x: 7 }]);
    expect(
      await prisma.$executeRawUnsafe(`DELETE FROM "${schema}".statskit_prisma_widget WHERE id < 0`),
    ).toBe(0);
    for (const op of ['queryRaw', 'executeRaw', 'queryRawUnsafe', 'executeRawUnsafe']) {
      expect(timings(stats, `db.prisma.main.query.${op}`), op).toHaveLength(1);
    }
    // SQL text never reaches a name
    expect(stats.metrics.every((m) => !m.name.includes(schema))).toBe(true);
  });

  it('counts errors; rejects with the same Prisma error as the plain client', async () => {
    await prisma.widget.create({ data: { name: 'dup' } });
    const mine = await rejection(prisma.widget.create({ data: { name: 'dup' } }));
    const theirs = await rejection(plain.widget.create({ data: { name: 'dup' } }));
    expect(mine).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((mine as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
    expect(errorShape(mine)).toEqual(errorShape(theirs));

    const missing = await rejection(prisma.widget.findUniqueOrThrow({ where: { name: 'nope' } }));
    expect((missing as Prisma.PrismaClientKnownRequestError).code).toBe('P2025');

    const badRaw = await rejection(prisma.$queryRaw`SELECT nope FROM ${table}`);
    expect(errorShape(badRaw)).toEqual(
      errorShape(await rejection(plain.$queryRaw`SELECT nope FROM ${table}`)),
    );
    expect((badRaw as Prisma.PrismaClientKnownRequestError).code).toBe('P2010');

    expect(timings(stats, 'db.prisma.main.query.create')).toHaveLength(2);
    for (const op of ['create', 'findUniqueOrThrow', 'queryRaw']) {
      expect(
        findMetrics(stats, `db.prisma.main.query.${op}.errors`, { type: 'c', value: 1 }),
        op,
      ).toHaveLength(1);
    }
    expect(timings(stats, 'db.prisma.main.query.findUniqueOrThrow')).toHaveLength(1);
    expect(timings(stats, 'db.prisma.main.query.queryRaw')).toHaveLength(1);
  });

  it('transactions: each operation inside is timed, the transaction itself is not an operation', async () => {
    const [count, first] = await prisma.$transaction([
      prisma.widget.count(),
      prisma.widget.findFirst({ where: { name: 'x' } }),
    ]);
    expect([count, first]).toEqual([0, null]);
    const result = await prisma.$transaction(async (tx) => {
      await tx.widget.create({ data: { name: 'tx' } });
      return tx.$queryRaw<{ one: number }[]>`SELECT 1 AS one`;
    });
    expect(result).toEqual([{ one: 1 }]);
    // an interactive transaction that throws rolls back; its operations are still counted
    const err = await rejection(
      prisma.$transaction(async (tx) => {
        await tx.widget.create({ data: { name: 'rolled back' } });
        await tx.widget.create({ data: { name: 'tx' } }); // unique violation
      }),
    );
    expect((err as Prisma.PrismaClientKnownRequestError).code).toBe('P2002');
    expect(await plain.widget.findMany({ select: { name: true } })).toEqual([{ name: 'tx' }]);

    for (const [op, n] of [
      ['count', 1],
      ['findFirst', 1],
      ['create', 3],
      ['queryRaw', 1],
    ] as const) {
      expect(timings(stats, `db.prisma.main.query.${op}`), op).toHaveLength(n);
    }
    expect(findMetrics(stats, 'db.prisma.main.query.create.errors', { type: 'c', value: 1 })).toHaveLength(1);
    expect(findMetrics(stats, 'db.prisma.main.query.other')).toEqual([]);
  });

  it('adds each operation to the request that awaited it, with concurrent requests', async () => {
    const a = new RequestContext();
    const b = new RequestContext();
    const work = async (name: string): Promise<void> => {
      await prisma.widget.create({ data: { name } });
      await prisma.widget.findMany();
      await prisma.$executeRaw`SELECT pg_sleep(0.01)`;
    };
    await Promise.all([runWithRequest(a, () => work('a')), runWithRequest(b, () => work('b'))]);
    await prisma.widget.count(); // outside any request
    expect(a.count('db')).toBe(3);
    expect(b.count('db')).toBe(3);
    expect(a.timeMs('db')).toBeGreaterThan(0);
    expect(b.timeMs('db')).toBeGreaterThan(0);
  });

  it('tags mode', async () => {
    const tagged = createTestClient();
    const client = newClient().$extends(prismaStats({ stats: tagged, mode: 'tags' }));
    try {
      await client.widget.findMany();
      await rejection(client.$executeRawUnsafe('SELEC 1'));
    } finally {
      await client.$disconnect();
    }
    const tags = { 'db.system': 'prisma', 'db.name': 'default' };
    expect(
      findMetrics(tagged, 'db.query', { type: 'ms', tags: { ...tags, operation: 'findMany' } }),
    ).toHaveLength(1);
    expect(
      findMetrics(tagged, 'db.query.errors', { type: 'c', tags: { ...tags, operation: 'executeRawUnsafe' } }),
    ).toHaveLength(1);
  });
});
