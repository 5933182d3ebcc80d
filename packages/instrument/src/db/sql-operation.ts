/**
 * The operation of a SQL statement: its first keyword, lower-cased, from a fixed list. Runs once per
 * query, so it is a plain character loop (no regex, at most one small slice): leading whitespace,
 * `-- line` and `/* block *\/` comments (nested, as PostgreSQL allows) and opening parentheses are
 * skipped. Anything else is `other`, so SQL text can never reach a metric name.
 */

/** Every operation {@link sqlOperation} can return, `other` included. */
export const SQL_OPERATIONS: ReadonlySet<string> = new Set([
  'select',
  'insert',
  'update',
  'delete',
  'merge',
  'upsert',
  'replace',
  'with',
  'values',
  'table',
  'begin',
  'start',
  'commit',
  'end',
  'rollback',
  'abort',
  'savepoint',
  'release',
  'prepare',
  'execute',
  'deallocate',
  'declare',
  'fetch',
  'move',
  'close',
  'set',
  'show',
  'reset',
  'discard',
  'use',
  'explain',
  'analyze',
  'describe',
  'create',
  'alter',
  'drop',
  'truncate',
  'rename',
  'comment',
  'grant',
  'revoke',
  'lock',
  'unlock',
  'copy',
  'load',
  'call',
  'do',
  'listen',
  'notify',
  'unlisten',
  'vacuum',
  'refresh',
  'reindex',
  'cluster',
  'checkpoint',
  'optimize',
  'flush',
  'kill',
  'handler',
  'other',
]);

/** Longest keyword in the list; a longer word is `other` without being sliced. */
const MAX_KEYWORD = 10;

function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0 || c === 0xfeff;
}

function isLetter(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/**
 * The first keyword of `sql` (`select`, `insert`, `begin`, `with`, ...) or `other`.
 *
 * @example
 * ```ts
 * sqlOperation('  /* hi *\/ SELECT 1'); // 'select'
 * sqlOperation('WITH x AS (...) ...');  // 'with'
 * sqlOperation('frobnicate');           // 'other'
 * ```
 */
export function sqlOperation(sql: unknown): string {
  if (typeof sql !== 'string') return 'other';
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c) || c === 0x28 /* ( */ || c === 0x3b /* ; */) {
      i++;
    } else if (c === 0x2d /* - */ && sql.charCodeAt(i + 1) === 0x2d) {
      i += 2;
      while (i < n && sql.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x23 /* # (MySQL line comment) */) {
      i++;
      while (i < n && sql.charCodeAt(i) !== 0x0a) i++;
    } else if (c === 0x2f /* / */ && sql.charCodeAt(i + 1) === 0x2a /* * */) {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        const d = sql.charCodeAt(i);
        if (d === 0x2a && sql.charCodeAt(i + 1) === 0x2f) {
          depth--;
          i += 2;
        } else if (d === 0x2f && sql.charCodeAt(i + 1) === 0x2a) {
          depth++;
          i += 2;
        } else i++;
      }
    } else break;
  }
  const start = i;
  while (i < n && i - start <= MAX_KEYWORD && isLetter(sql.charCodeAt(i))) i++;
  const len = i - start;
  if (len === 0 || len > MAX_KEYWORD) return 'other';
  // A keyword ends at a non-letter: `selectx` is not `select`, `select*` is.
  const next = i < n ? sql.charCodeAt(i) : 0x20;
  if ((next >= 0x30 && next <= 0x39) || next === 0x5f) return 'other';
  const word = sql.slice(start, i).toLowerCase();
  return SQL_OPERATIONS.has(word) ? word : 'other';
}
