/**
 * Real cursors on the real PostgreSQL: `pg-cursor` (read in batches, closed early or read to the end)
 * and `pg-query-stream` (a Readable), both Submittables handed to an instrumented client or pool.
 */
import { createTestClient, findMetrics, type TestStatsClient } from '@statskit/client/testing';
import pg from 'pg';
import Cursor from 'pg-cursor';
import QueryStream from 'pg-query-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestContext, runWithRequest } from '../../src/context.js';
import { instrumentPg } from '../../src/db/pg.js';
import { POSTGRES, pgConfig, serverUp } from '../helpers/servers.js';

const up = await serverUp(POSTGRES);

function timings(stats: TestStatsClient, name: string): number[] {
  return findMetrics(stats, name, { type: 'ms' }).map((m) => m.value as number);
}

function read(cursor: Cursor, n: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    cursor.read(n, (err, rows) => (err ? reject(err) : resolve(rows)));
  });
}

describe.skipIf(!up)('node-postgres cursors and streams (real server)', () => {
  let stats: TestStatsClient;
  let client: pg.Client;

  beforeEach(async () => {
    stats = createTestClient();
    client = instrumentPg(new pg.Client(pgConfig), { stats, name: 'cur' });
    await client.connect();
  });

  afterEach(async () => {
    await client.end();
  });

  it('pg-cursor read to the end: one timer covering every batch, rows unchanged', async () => {
    const cursor = client.query(new Cursor('SELECT generate_series(1, 7) AS i'));
    const batches: unknown[][] = [];
    for (;;) {
      const rows = await read(cursor, 3);
      if (rows.length === 0) break;
      batches.push(rows);
    }
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat()).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => ({ i })));
    await new Promise<void>((resolve, reject) => cursor.close((err) => (err ? reject(err) : resolve())));
    const t = timings(stats, 'db.postgresql.cur.query.select');
    expect(t).toHaveLength(1);
    expect(t[0]).toBeGreaterThan(0);
    expect(findMetrics(stats, 'db.postgresql.cur.query.select.errors')).toEqual([]);
    // the connection is usable afterwards, and the next query is timed on its own
    expect((await client.query('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    expect(timings(stats, 'db.postgresql.cur.query.select')).toHaveLength(2);
  });

  it('pg-cursor closed early: timed once, when it is closed', async () => {
    const cursor = client.query(new Cursor('SELECT generate_series(1, 1000) AS i'));
    expect(await read(cursor, 2)).toEqual([{ i: 1 }, { i: 2 }]);
    expect(timings(stats, 'db.postgresql.cur.query.select')).toHaveLength(0); // still open
    await cursor.close();
    expect(timings(stats, 'db.postgresql.cur.query.select')).toHaveLength(1);
    expect((await client.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('pg-cursor error: counted once, the error is pg’s own', async () => {
    const cursor = client.query(new Cursor('SELECT 1/0'));
    const err = await read(cursor, 10).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as pg.DatabaseError).code).toBe('22012');
    expect(findMetrics(stats, 'db.postgresql.cur.query.select.errors', { type: 'c', value: 1 })).toHaveLength(
      1,
    );
    expect(timings(stats, 'db.postgresql.cur.query.select')).toHaveLength(1);
  });

  it('pg-query-stream through a pool: one timer per stream, added to the request', async () => {
    const pool = instrumentPg(new pg.Pool({ ...pgConfig, max: 1 }), { stats, name: 'stream' });
    try {
      const ctx = new RequestContext();
      const rows = await runWithRequest(ctx, async () => {
        const conn = await pool.connect();
        try {
          const stream = conn.query(
            new QueryStream('SELECT generate_series(1, 250) AS i', [], { batchSize: 50 }),
          );
          const out: unknown[] = [];
          for await (const row of stream) out.push(row);
          return out;
        } finally {
          conn.release();
        }
      });
      expect(rows).toHaveLength(250);
      expect(rows[249]).toEqual({ i: 250 });
      const t = timings(stats, 'db.postgresql.stream.query.select');
      expect(t).toHaveLength(1);
      expect(t[0]).toBeGreaterThan(0);
      expect(ctx.count('db')).toBe(1);
    } finally {
      await pool.end();
    }
  });
});
