import { describe, expect, it } from 'vitest';
import { SQL_OPERATIONS, sqlOperation } from '../../src/db/sql-operation.js';

describe('sqlOperation', () => {
  it.each([
    ['SELECT 1', 'select'],
    ['select * from t', 'select'],
    ['  \n\tInsert into t values (1)', 'insert'],
    ['UPDATE t SET a = 1', 'update'],
    ['delete from t', 'delete'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'with'],
    ['BEGIN', 'begin'],
    ['commit;', 'commit'],
    ['-- a comment\nSELECT 1', 'select'],
    ['/* a */ /* b /* nested */ still */ update t', 'update'],
    ['# mysql comment\nREPLACE INTO t VALUES (1)', 'replace'],
    ['(SELECT 1) UNION (SELECT 2)', 'select'],
    ['select*from t', 'select'],
    ['select_x', 'other'],
    ['selectx from t', 'other'],
    ['frobnicate the database', 'other'],
    ['', 'other'],
    ['   ', 'other'],
    ['/* never closed', 'other'],
    ['-- only a comment', 'other'],
    ['123', 'other'],
    ['DROP TABLE users; -- bobby', 'drop'],
  ])('%j → %s', (sql, op) => {
    expect(sqlOperation(sql)).toBe(op);
  });

  it('is other for anything but a string', () => {
    expect(sqlOperation(undefined)).toBe('other');
    expect(sqlOperation({ text: 'select 1' })).toBe('other');
  });

  it('only ever returns one of SQL_OPERATIONS (bounded names)', () => {
    const words = ['SeLeCt', 'x', 'tables', 'ünïcode', 'select\u0000', `${'a'.repeat(50)} x`, 'analyze t'];
    for (const w of words) expect(SQL_OPERATIONS.has(sqlOperation(w))).toBe(true);
  });
});
