import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { instrumentPg, uninstrumentPg } from '../../src/db/pg.js';
import { POSTGRES, pgConfig, serverUp, uniqueName } from '../helpers/servers.js';

const up = await serverUp(POSTGRES);

/** Timers recorded under `name`, as numbers. */
function timings(stats: TestStatsClient, name: string): number[] {
  return findMetrics(stats, name, { type: 'ms' }).map((m) => m.value as number);
}

/** Error objects compared by what a caller looks at. */
function errorShape(err: unknown): Record<string, unknown> {
  const e = err as pg.DatabaseError;
  return { cls: e.constructor.name, message: e.message, code: e.code, severity: e.severity };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe.skipIf(!up)('node-postgres (real server)', () => {
  const table = uniqueName('statskit_pg');
  let plain: pg.Pool;
  let pool: pg.Pool;
  let stats: TestStatsClient;

  beforeAll(async () => {
    plain = new pg.Pool({ ...pgConfig, max: 2 });
    stats = createTestClient();
    pool = instrumentPg(new pg.Pool({ ...pgConfig, max: 2 }), { stats, name: 'main' });
    await plain.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, name text NOT NULL, n int)`);
  });

  afterAll(async () => {
    await plain?.query(`DROP TABLE IF EXISTS ${table}`);
    await Promise.all([plain?.end(), pool?.end()]);
  });

  beforeEach(() => stats.clear());

  it('times each query under its first keyword, results identical to plain pg', async () => {
    const inserted = await pool.query(
      `INSERT INTO ${table} (name, n) VALUES ($1, $2), ($3, $4) RETURNING *`,
      ['a', 1, 'b', 2],
    );
    expect(inserted.rows).toEqual([
      { id: expect.any(Number), name: 'a', n: 1 },
      { id: expect.any(Number), name: 'b', n: 2 },
    ]);
    const sql = `SELECT id, name, n FROM ${table} ORDER BY id`;
    const mine = await pool.query(sql);
    const theirs = await plain.query(sql);
    expect(mine).toEqual(theirs);
    expect(Object.getPrototypeOf(mine)).toBe(Object.getPrototypeOf(theirs));
    const upd = await pool.query({ text: `UPDATE ${table} SET n = n + 1 WHERE name = $1`, values: ['a'] });
    expect(upd.rowCount).toBe(1);
    await pool.query(`/* comment */ with x as (select 1) select * from x`);

    for (const [op, count] of [
      ['insert', 1],
      ['select', 1],
      ['update', 1],
      ['with', 1],
    ] as const) {
      const t = timings(stats, `db.postgresql.main.query.${op}`);
      expect(t, op).toHaveLength(count);
      for (const ms of t) expect(ms).toBeGreaterThan(0);
    }
    expect(stats.metrics.filter((m) => m.name.includes('.errors'))).toEqual([]);
    // SQL text never reaches a name
    expect(stats.metrics.every((m) => !m.name.includes(table))).toBe(true);
    expect(stats.errors).toEqual([]);
  });

  it('counts errors and rejects with the same error as plain pg', async () => {
    const sql = `SELECT nope FROM ${table}`;
    const mine = await rejection(pool.query(sql));
    const theirs = await rejection(plain.query(sql));
    expect(mine).toBeInstanceOf(pg.DatabaseError);
    expect(errorShape(mine)).toEqual(errorShape(theirs));
    expect(timings(stats, 'db.postgresql.main.query.select')).toHaveLength(1);
    expect(
      findMetrics(stats, 'db.postgresql.main.query.select.errors', { type: 'c', value: 1 }),
    ).toHaveLength(1);
  });

  it('callback API: same arguments, errors counted', async () => {
    const sql = `SELECT count(*)::int AS c FROM ${table}`;
    const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) => {
      pool.query(sql, (err, res) => (err ? reject(err) : resolve(res)));
    });
    const viaValuesCallback = await new Promise<pg.QueryResult>((resolve, reject) => {
      pool.query(`SELECT $1::int AS x`, [7], (err, res) => (err ? reject(err) : resolve(res)));
    });
    expect(viaCallback).toEqual(await plain.query(sql));
    expect(viaValuesCallback.rows).toEqual([{ x: 7 }]);
    const err = await new Promise<unknown>((resolve) => {
      pool.query('SELEC 1', (e) => resolve(e));
    });
    expect(errorShape(err)).toEqual(errorShape(await rejection(plain.query('SELEC 1'))));
    expect(timings(stats, 'db.postgresql.main.query.select')).toHaveLength(2);
    expect(timings(stats, 'db.postgresql.main.query.other')).toHaveLength(1);
    expect(findMetrics(stats, 'db.postgresql.main.query.other.errors')).toHaveLength(1);
  });

  it('a config object with its own callback is not written to', async () => {
    const client = instrumentPg(new pg.Client(pgConfig), { stats, name: 'cfg' });
    await client.connect();
    try {
      const callback = (_e: Error | null, _r: pg.QueryResult): void => {};
      const config = { text: 'SELECT 1 AS one' };
      const res = await new Promise<pg.QueryResult>((resolve, reject) => {
        const cb = (e: Error | null, r: pg.QueryResult): void => {
          callback(e, r);
          if (e) reject(e);
          else resolve(r);
        };
        client.query(Object.assign(config, { callback: cb }) as unknown as pg.QueryConfig);
      });
      expect(res.rows).toEqual([{ one: 1 }]);
      expect(Object.keys(config)).toEqual(['text', 'callback']);
      expect(timings(stats, 'db.postgresql.cfg.query.select')).toHaveLength(1);
    } finally {
      await client.end();
    }
  });

  it('Submittables are timed until they end, once', async () => {
    const client = instrumentPg(new pg.Client(pgConfig), { stats, name: 'sub' });
    await client.connect();
    try {
      const rows: unknown[] = [];
      const query = new pg.Query(`SELECT generate_series(1, 5) AS i`);
      const returned = client.query(query);
      expect(returned).toBe(query);
      await new Promise<void>((resolve, reject) => {
        query.on('row', (row: unknown) => rows.push(row));
        query.on('end', () => resolve());
        query.on('error', reject);
      });
      expect(rows).toHaveLength(5);
      const failing = new pg.Query('SELECT 1/0');
      client.query(failing);
      const err = await new Promise<unknown>((resolve) => failing.on('error', resolve));
      expect((err as pg.DatabaseError).code).toBe('22012');
      const t = timings(stats, 'db.postgresql.sub.query.select');
      expect(t).toHaveLength(2);
      for (const ms of t) expect(ms).toBeGreaterThan(0);
      expect(findMetrics(stats, 'db.postgresql.sub.query.select.errors')).toHaveLength(1);
    } finally {
      await client.end();
    }
  });

  it('a synchronous throw is pg’s own, counted', () => {
    const client = instrumentPg(new pg.Client(pgConfig), { stats, name: 'sync' });
    const plainClient = new pg.Client(pgConfig);
    const call = (c: pg.Client) => () => c.query(null as unknown as string);
    expect(call(client)).toThrow(TypeError);
    expect(call(client)).toThrow(/null or undefined/);
    expect(call(plainClient)).toThrow(/null or undefined/);
    expect(findMetrics(stats, 'db.postgresql.sync.query.other.errors')).toHaveLength(2);
  });

  it('pool.connect(): acquire time, checked-out clients instrumented once, transactions', async () => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${table} (name) VALUES ('tx')`);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    const again = await new Promise<pg.PoolClient>((resolve, reject) => {
      pool.connect((err, c, release) => (err || !c ? reject(err) : resolve(Object.assign(c, { release }))));
    });
    await again.query('SELECT 1');
    again.release();
    for (const op of ['begin', 'insert', 'rollback', 'select']) {
      expect(timings(stats, `db.postgresql.main.query.${op}`), op).toHaveLength(1);
    }
    expect(timings(stats, 'db.postgresql.main.pool.acquire').length).toBeGreaterThanOrEqual(2);
  });

  it('adds each query to the request being handled, even when it waited for a pooled client', async () => {
    const small = instrumentPg(new pg.Pool({ ...pgConfig, max: 1 }), { stats, name: 'small' });
    try {
      const a = new RequestContext();
      const b = new RequestContext();
      const work = async (): Promise<void> => {
        await small.query('SELECT pg_sleep(0.01)');
        await small.query('SELECT 1');
        await small.query(`SELECT count(*) FROM ${table}`);
      };
      // With max: 1 the two requests queue for the one client; each must still get its own 3 queries.
      await Promise.all([runWithRequest(a, work), runWithRequest(b, work)]);
      await small.query('SELECT 1'); // outside any request
      expect(a.count('db')).toBe(3);
      expect(b.count('db')).toBe(3);
      expect(a.timeMs('db')).toBeGreaterThan(0);
      expect(timings(stats, 'db.postgresql.small.query.select')).toHaveLength(7);
    } finally {
      await small.end();
    }
  });

  it('tags mode: stable names tagged with system, name and operation', async () => {
    const tagged = createTestClient();
    const client = instrumentPg(new pg.Client(pgConfig), { stats: tagged, name: 'main', mode: 'tags' });
    await client.connect();
    try {
      await client.query('SELECT 1');
      await rejection(client.query('DELETE FROM no_such_table_statskit'));
    } finally {
      await client.end();
    }
    const tags = { 'db.system': 'postgresql', 'db.name': 'main' };
    expect(
      findMetrics(tagged, 'db.query', { type: 'ms', tags: { ...tags, operation: 'select' } }),
    ).toHaveLength(1);
    expect(
      findMetrics(tagged, 'db.query', { type: 'ms', tags: { ...tags, operation: 'delete' } }),
    ).toHaveLength(1);
    expect(
      findMetrics(tagged, 'db.query.errors', { type: 'c', tags: { ...tags, operation: 'delete' } }),
    ).toHaveLength(1);
  });

  it('names are sanitized; uninstrumentPg restores the originals', async () => {
    const client = new pg.Client(pgConfig);
    const original = client.query;
    instrumentPg(client, { stats, name: 'we.ird name', prefix: 'app.db' });
    expect(client.query).not.toBe(original);
    await client.connect();
    try {
      await client.query('SELECT 1');
      uninstrumentPg(client);
      expect(client.query).toBe(original);
      await client.query('SELECT 1');
    } finally {
      await client.end();
    }
    expect(stats.metrics.map((m) => m.name)).toEqual(['app.db.postgresql.we_ird_name.query.select']);
  });

  it('rejects invalid options', () => {
    expect(() => instrumentPg(new pg.Client(pgConfig), { stats: {} as TestStatsClient })).toThrow(/stats/);
    expect(() => instrumentPg(new pg.Client(pgConfig), { stats, mode: 'x' as 'names' })).toThrow(/mode/);
  });
});
