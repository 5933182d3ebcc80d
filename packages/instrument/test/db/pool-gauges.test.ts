/**
 * Connection-pool gauges (total / idle / waiting) for pg and mysql2 pools, against the real PostgreSQL
 * and MariaDB, with callers queued for a connection (waiting > 0).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidOptionError } from '@statskit/client';
import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import mysql from 'mysql2';
import mysqlPromise from 'mysql2/promise';
import pg from 'pg';
import { describe, expect, it, vi } from 'vitest';
import { instrumentMysql2 } from '../../src/db/mysql2.js';
import { instrumentPg, uninstrumentPg } from '../../src/db/pg.js';
import { MARIADB, mysqlConfig, POSTGRES, pgConfig, serverUp } from '../helpers/servers.js';

const require = createRequire(import.meta.url);
const [pgUp, myUp] = await Promise.all([serverUp(POSTGRES), serverUp(MARIADB)]);

interface Reading {
  total: number | undefined;
  idle: number | undefined;
  waiting: number | undefined;
}

/** The last reading sent for `base` (`db.postgresql.main.pool`). */
function last(stats: TestStatsClient, base: string): Reading {
  const value = (part: string): number | undefined =>
    findMetrics(stats, `${base}.${part}`, { type: 'g' }).at(-1)?.value as number | undefined;
  return { total: value('total'), idle: value('idle'), waiting: value('waiting') };
}

function gaugeCount(stats: TestStatsClient): number {
  return stats.metrics.filter((m) => m.type === 'g').length;
}

/** Wait a few sampling intervals (a bounded wait: nothing must arrive). */
const quiet = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 120));

describe.skipIf(!pgUp)('pg pool gauges (real PostgreSQL)', () => {
  it('samples total / idle / waiting, with callers queued, until uninstrumentPg', async () => {
    const stats = createTestClient();
    const pool = instrumentPg(new pg.Pool({ ...pgConfig, max: 2 }), {
      stats,
      name: 'main',
      poolInterval: 10,
    });
    try {
      const a = await pool.connect();
      const b = await pool.connect();
      // two more callers queue for a client
      const queued = [pool.connect(), pool.query('SELECT 1 AS one')];
      await vi.waitFor(() =>
        expect(last(stats, 'db.postgresql.main.pool')).toEqual({ total: 2, idle: 0, waiting: 2 }),
      );
      a.release();
      b.release();
      const [c] = (await Promise.all(queued)) as [pg.PoolClient, unknown];
      c.release();
      await vi.waitFor(() =>
        expect(last(stats, 'db.postgresql.main.pool')).toEqual({ total: 2, idle: 2, waiting: 0 }),
      );

      uninstrumentPg(pool);
      const sent = gaugeCount(stats);
      await quiet();
      expect(gaugeCount(stats)).toBe(sent);
    } finally {
      await pool.end();
    }
  });

  it('stats.flush() sends a changed reading; stats.close() sends the last one and stops the timer', async () => {
    const stats = createTestClient();
    const pool = instrumentPg(new pg.Pool({ ...pgConfig, max: 3 }), {
      stats,
      name: 'main',
      poolInterval: 60_000,
    });
    try {
      await pool.query('SELECT 1');
      await stats.flush();
      expect(last(stats, 'db.postgresql.main.pool')).toEqual({ total: 1, idle: 1, waiting: 0 });
      // an unchanged reading is not sent again by a flush (the client also flushes at beforeExit: a hook
      // that always wrote would keep the process busy)
      await stats.flush();
      expect(gaugeCount(stats)).toBe(3);
      instrumentPg(pool, { stats, name: 'main', poolInterval: 10 }); // replaces the options (and the timer)
      const held = await pool.connect();
      await stats.close();
      expect(last(stats, 'db.postgresql.main.pool')).toEqual({ total: 1, idle: 0, waiting: 0 });
      held.release();
      await quiet();
      // no sample after close: it would have reported STATSKIT_ERR_CLOSED
      expect(stats.errors.map((e) => e.code)).toEqual([]);
    } finally {
      await pool.end();
    }
  });

  it('stops when the pool ends; tags mode; poolInterval 0 sends none; a Client has none', async () => {
    const stats = createTestClient();
    const tagged = createTestClient();
    const off = createTestClient();
    const pool = instrumentPg(new pg.Pool(pgConfig), { stats, poolInterval: 10 });
    const tpool = instrumentPg(new pg.Pool(pgConfig), {
      stats: tagged,
      name: 'main',
      mode: 'tags',
      poolInterval: 10,
    });
    const opool = instrumentPg(new pg.Pool(pgConfig), { stats: off, poolInterval: 0 });
    const client = instrumentPg(new pg.Client(pgConfig), { stats: off, poolInterval: 10 });
    await client.connect();
    try {
      await Promise.all([
        pool.query('SELECT 1'),
        tpool.query('SELECT 1'),
        opool.query('SELECT 1'),
        client.query('SELECT 1'),
      ]);
      await vi.waitFor(() => expect(last(stats, 'db.postgresql.default.pool').total).toBe(1));
      const tags = { 'db.system': 'postgresql', 'db.name': 'main' };
      await vi.waitFor(() =>
        expect(findMetrics(tagged, 'db.pool.idle', { type: 'g', value: 1, tags })).not.toEqual([]),
      );
      await pool.end();
      const sent = gaugeCount(stats);
      await quiet();
      expect(gaugeCount(stats)).toBe(sent);
      await off.flush();
      expect(gaugeCount(off)).toBe(0);
    } finally {
      await Promise.all([tpool.end(), opool.end(), client.end()]);
      uninstrumentPg(tpool);
    }
  });

  it('never holds the process open: a script with an instrumented pool exits on its own (built package)', async () => {
    const dist = (pkg: string): string =>
      pathToFileURL(fileURLToPath(new URL(`../../../${pkg}/dist/index.js`, import.meta.url))).href;
    const script = `
      import pg from ${JSON.stringify(pathToFileURL(require.resolve('pg')).href)};
      import { StatsClient } from ${JSON.stringify(dist('client'))};
      import { instrumentPg } from ${JSON.stringify(dist('instrument'))};
      const stats = new StatsClient({ port: 9 , onError() {} });
      const pool = instrumentPg(new pg.Pool({ ...${JSON.stringify(pgConfig)}, allowExitOnIdle: true }), { stats, poolInterval: 5 });
      await pool.query('SELECT 1');
      process.on('exit', () => console.log('exit'));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 10_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(out).toContain('exit');
    expect(code).toBe(0);
  }, 15_000);

  it('rejects a bad poolInterval', () => {
    const stats = createTestClient();
    expect(() => instrumentPg(new pg.Pool(pgConfig), { stats, poolInterval: -1 })).toThrow(
      InvalidOptionError,
    );
  });
});

describe.skipIf(!myUp)('mysql2 pool gauges (real MariaDB)', () => {
  it('samples a promise pool with callers queued, named like its queries, until uninstrument', async () => {
    const stats = createTestClient();
    const pool = mysqlPromise.createPool({ ...mysqlConfig, connectionLimit: 2 });
    const handle = instrumentMysql2({
      stats,
      name: ({ database }) => `${database}_x`,
      pools: [pool],
      poolInterval: 10,
    });
    try {
      const a = await pool.getConnection();
      const b = await pool.getConnection();
      const queued = [pool.getConnection(), pool.query('SELECT 1 AS one')];
      await vi.waitFor(() =>
        expect(last(stats, 'db.mysql.statskit_x.pool')).toMatchObject({ total: 2, idle: 0, waiting: 2 }),
      );
      a.release();
      b.release();
      const [c] = (await Promise.all(queued)) as [mysqlPromise.PoolConnection, unknown];
      c.release();
      await vi.waitFor(() =>
        expect(last(stats, 'db.mysql.statskit_x.pool')).toMatchObject({ total: 2, idle: 2, waiting: 0 }),
      );
      handle.uninstrument();
      const sent = gaugeCount(stats);
      await quiet();
      expect(gaugeCount(stats)).toBe(sent);
    } finally {
      handle.uninstrument();
      await pool.end();
    }
  });

  it('a callback pool: stops when the pool ends; rejects bad pools', async () => {
    const stats = createTestClient();
    const pool = mysql.createPool({ ...mysqlConfig, connectionLimit: 1 });
    const handle = instrumentMysql2({ stats, pools: [pool], poolInterval: 10 });
    try {
      await pool.promise().query('SELECT 1');
      await vi.waitFor(() =>
        expect(last(stats, 'db.mysql.statskit.pool')).toEqual({ total: 1, idle: 1, waiting: 0 }),
      );
      await new Promise<void>((resolve) => pool.end(() => resolve()));
      const sent = gaugeCount(stats);
      await quiet();
      expect(gaugeCount(stats)).toBe(sent);
    } finally {
      handle.uninstrument();
    }
    expect(() => instrumentMysql2({ stats, pools: 'pool' as unknown as object[] })).toThrow(
      InvalidOptionError,
    );
  });
});
