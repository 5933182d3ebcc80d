import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { instrumentMysql2 } from '../../src/db/mysql2.js';
import type { Uninstrument } from '../../src/db/types.js';
import { MARIADB, mysqlConfig, serverUp, uniqueName } from '../helpers/servers.js';

const up = await serverUp(MARIADB);

function timings(stats: TestStatsClient, name: string): number[] {
  return findMetrics(stats, name, { type: 'ms' }).map((m) => m.value as number);
}

describe.skipIf(!up)('mysql2 (real MariaDB, diagnostics channels)', () => {
  const table = uniqueName('statskit_my');
  let pool: mysqlPromise.Pool;
  let stats: TestStatsClient;
  let handle: Uninstrument | undefined;
  const instrument = (): void => {
    handle = instrumentMysql2({ stats, name: 'main' });
  };
  const name = (op: string): string => `db.mysql.main.query.${op}`;

  beforeAll(async () => {
    stats = createTestClient();
    pool = mysqlPromise.createPool({ ...mysqlConfig, connectionLimit: 2 });
    await pool.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), n INT)`);
    await pool.query(`INSERT INTO ${table} (name, n) VALUES ('a', 1), ('b', 2)`);
  });

  afterAll(async () => {
    handle?.uninstrument();
    await pool?.query(`DROP TABLE IF EXISTS ${table}`);
    await pool?.end();
  });

  beforeEach(() => {
    handle?.uninstrument();
    handle = undefined;
    stats.clear();
  });

  it('promise pool: query and execute timed by keyword, results equal to uninstrumented ones', async () => {
    const sql = `SELECT id, name, n FROM ${table} ORDER BY id`;
    const [plainRows, plainFields] = await pool.query(sql);
    const [plainExec] = await pool.execute(`SELECT name FROM ${table} WHERE n = ?`, [2]);
    expect(stats.metrics).toEqual([]);
    instrument();
    const [rows, fields] = await pool.query(sql);
    const [exec] = await pool.execute(`SELECT name FROM ${table} WHERE n = ?`, [2]);
    const [res] = await pool.query(`UPDATE ${table} SET n = n + 1 WHERE name = ?`, ['a']);
    expect(rows).toEqual(plainRows);
    expect(fields).toEqual(plainFields);
    expect(exec).toEqual(plainExec);
    expect((res as mysqlPromise.ResultSetHeader).affectedRows).toBe(1);

    const selects = timings(stats, name('select'));
    expect(selects).toHaveLength(2);
    for (const ms of selects) expect(ms).toBeGreaterThan(0);
    expect(timings(stats, name('update'))).toHaveLength(1);
    expect(timings(stats, 'db.mysql.main.pool.acquire').length).toBeGreaterThanOrEqual(3);
    expect(stats.metrics.every((m) => !m.name.includes(table))).toBe(true);
  });

  it('callback connection: results, errors counted and passed through unchanged', async () => {
    const conn = mysql.createConnection(mysqlConfig);
    try {
      const plainErr = await new Promise<mysql.QueryError | null>((resolve) => {
        conn.query('SELEC 1', (err) => resolve(err));
      });
      instrument();
      const rows = await new Promise<unknown>((resolve, reject) => {
        conn.query('SELECT 1 AS one', (err, r) => (err ? reject(err) : resolve(r)));
      });
      expect(rows).toEqual([{ one: 1 }]);
      const err = await new Promise<mysql.QueryError | null>((resolve) => {
        conn.query('SELEC 1', (e) => resolve(e));
      });
      expect(err?.constructor).toBe(plainErr?.constructor);
      expect(err?.code).toBe(plainErr?.code);
      expect(err?.message).toBe(plainErr?.message);
      const execErr = await new Promise<mysql.QueryError | null>((resolve) => {
        conn.execute(`SELECT nope FROM ${table}`, (e) => resolve(e));
      });
      expect(execErr?.code).toBe('ER_BAD_FIELD_ERROR');
    } finally {
      await new Promise<void>((resolve) => conn.end(() => resolve()));
    }
    expect(timings(stats, name('select'))).toHaveLength(2);
    expect(timings(stats, name('other'))).toHaveLength(1);
    expect(findMetrics(stats, `${name('other')}.errors`, { type: 'c', value: 1 })).toHaveLength(1);
    expect(findMetrics(stats, `${name('select')}.errors`, { type: 'c', value: 1 })).toHaveLength(1);
  });

  it('event-emitter (streaming) queries are timed to their end', async () => {
    const conn = mysql.createConnection(mysqlConfig);
    instrument();
    try {
      const rows: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        conn
          .query(`SELECT name FROM ${table}`)
          .on('result', (r) => rows.push(r))
          .on('error', reject)
          .on('end', () => resolve());
      });
      expect(rows).toHaveLength(2);
    } finally {
      await new Promise<void>((resolve) => conn.end(() => resolve()));
    }
    expect(timings(stats, name('select'))).toHaveLength(1);
  });

  it('per-request totals, and the alias defaults to the database', async () => {
    handle = instrumentMysql2({ stats });
    const ctx = new RequestContext();
    await runWithRequest(ctx, async () => {
      await pool.query('SELECT 1');
      await pool.execute('SELECT 2');
      await pool.query(`SELECT count(*) FROM ${table}`);
    });
    expect(ctx.count('db')).toBe(3);
    expect(ctx.timeMs('db')).toBeGreaterThan(0);
    expect(timings(stats, 'db.mysql.statskit.query.select')).toHaveLength(3);
  });

  it('tags mode and uninstrument', async () => {
    const tagged = createTestClient();
    const h = instrumentMysql2({ stats: tagged, name: () => 'replica', mode: 'tags' });
    await pool.query('SELECT 1');
    h.uninstrument();
    h.uninstrument();
    await pool.query('SELECT 1');
    const tags = { 'db.system': 'mysql', 'db.name': 'replica', operation: 'select' };
    expect(findMetrics(tagged, 'db.query', { type: 'ms', tags })).toHaveLength(1);
    expect(findMetrics(tagged, 'db.query')).toHaveLength(1);
  });
});
