import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { instrumentKnex } from '../../src/db/knex.js';
import type { Uninstrument } from '../../src/db/types.js';
import { MARIADB, mysqlConfig, POSTGRES, pgConfig, serverUp, uniqueName } from '../helpers/servers.js';

const pgUp = await serverUp(POSTGRES);
const mariaUp = await serverUp(MARIADB);

function timings(stats: TestStatsClient, name: string): number[] {
  return findMetrics(stats, name, { type: 'ms' }).map((m) => m.value as number);
}

const setups = [
  { label: 'pg → PostgreSQL', up: pgUp, client: 'pg', connection: pgConfig, system: 'postgresql' },
  { label: 'mysql2 → MariaDB', up: mariaUp, client: 'mysql2', connection: mysqlConfig, system: 'mysql' },
] as const;

describe.each(setups)('knex with $label (real server)', ({ up, client, connection, system }) => {
  const table = uniqueName('statskit_knex');
  let plain: Knex;
  let db: Knex;
  let stats: TestStatsClient;
  let handle: Uninstrument;
  const name = (op: string): string => `db.${system}.main.query.${op}`;

  beforeAll(async () => {
    if (!up) return;
    stats = createTestClient();
    plain = knexFactory({ client, connection, pool: { min: 0, max: 2 } });
    db = knexFactory({ client, connection, pool: { min: 0, max: 2 } });
    handle = instrumentKnex(db, { stats, name: 'main' });
    await plain.schema.createTable(table, (t) => {
      t.increments('id');
      t.string('name').notNullable();
      t.integer('n');
    });
  });

  afterAll(async () => {
    if (!up) return;
    await plain.schema.dropTableIfExists(table);
    await Promise.all([plain.destroy(), db.destroy()]);
  });

  beforeEach(() => stats?.clear());

  it.skipIf(!up)('times builder and raw queries by first keyword; same results as plain knex', async () => {
    await db(table).insert([
      { name: 'a', n: 1 },
      { name: 'b', n: 2 },
    ]);
    const mine = await db(table).select('id', 'name', 'n').orderBy('id');
    const theirs = await plain(table).select('id', 'name', 'n').orderBy('id');
    expect(mine).toEqual(theirs);
    expect(mine.map((r: { name: string }) => r.name)).toEqual(['a', 'b']);
    expect(await db(table).where({ name: 'a' }).update({ n: 10 })).toBe(1);
    expect(await db(table).where({ name: 'b' }).del()).toBe(1);
    expect(await db(table).first('name')).toEqual(await plain(table).first('name'));
    await db.raw('select 1 + 1 as two');

    expect(timings(stats, name('insert'))).toHaveLength(1);
    expect(timings(stats, name('select'))).toHaveLength(3);
    expect(timings(stats, name('update'))).toHaveLength(1);
    expect(timings(stats, name('delete'))).toHaveLength(1);
    for (const m of findMetrics(stats, name('select'))) expect(m.value).toBeGreaterThan(0);
    expect(stats.metrics.every((m) => !m.name.includes(table))).toBe(true);
  });

  it.skipIf(!up)('errors are counted; the rejection is knex’s own', async () => {
    const mine = await db(table)
      .select('no_such_column')
      .catch((e: unknown) => e);
    const theirs = await plain(table)
      .select('no_such_column')
      .catch((e: unknown) => e);
    expect((mine as Error).message).toBe((theirs as Error).message);
    expect(timings(stats, name('select'))).toHaveLength(1);
    expect(findMetrics(stats, `${name('select')}.errors`, { type: 'c', value: 1 })).toHaveLength(1);
  });

  it.skipIf(!up)('transactions: begin, statements and commit/rollback; per-request totals', async () => {
    const ctx = new RequestContext();
    await runWithRequest(ctx, () =>
      db.transaction(async (trx) => {
        await trx(table).insert({ name: 'tx' });
        await trx(table).where({ name: 'tx' }).first();
      }),
    );
    // BEGIN/COMMIT are not query events in knex (it runs them on the connection directly).
    expect(timings(stats, name('insert'))).toHaveLength(1);
    expect(timings(stats, name('select'))).toHaveLength(1);
    expect(ctx.count('db')).toBe(2);
    expect(ctx.timeMs('db')).toBeGreaterThan(0);
  });

  it.skipIf(!up)('tags mode and uninstrument', async () => {
    const tagged = createTestClient();
    const other = knexFactory({ client, connection, pool: { min: 0, max: 1 } });
    const h = instrumentKnex(other, { stats: tagged, name: 'replica', mode: 'tags' });
    try {
      await other.raw('select 1');
      h.uninstrument();
      h.uninstrument();
      await other.raw('select 1');
    } finally {
      await other.destroy();
    }
    const tags = { 'db.system': system, 'db.name': 'replica', operation: 'select' };
    expect(findMetrics(tagged, 'db.query', { type: 'ms', tags })).toHaveLength(1);
    expect(tagged.metrics).toHaveLength(1);
    expect(handle).toBeDefined();
  });
});
