/**
 * Regression: the '.' seams between prefix, name and suffix were only half guarded. A prefix's trailing
 * dot and a suffix's leading dot were handled, but not a child prefix's leading dot (`app` + `.db` →
 * `app..db.q`) nor a suffix's trailing dot before a child suffix (`.x.` + `y` → `q.x..y`). Graphite reads
 * an empty path segment there.
 */
import { createTestClient } from '@statskit/client/testing';
import { expect, test } from 'vitest';

test.each([
  ['child prefix with a leading dot', { prefix: 'app' }, { prefix: '.db' }, 'app.db.q:1|c'],
  ['child prefix with dots on both sides', { prefix: 'app.' }, { prefix: '.db.' }, 'app.db.q:1|c'],
  ['parent suffix with a trailing dot', { suffix: 'x.' }, { suffix: 'y' }, 'q.x.y:1|c'],
  ['child suffix with dots on both sides', { suffix: 'x' }, { suffix: '.y.' }, 'q.x.y:1|c'],
  ['prefix of dots only', { prefix: '..' }, { prefix: '.' }, 'q:1|c'],
] as const)('%s', (_label, options, childOptions, expected) => {
  const stats = createTestClient(options);
  stats.child(childOptions).incr('q');
  expect(stats.lines).toEqual([expected]);
  expect(stats.lines[0]).not.toMatch(/\.\./);
});

test('a top-level prefix and suffix get one dot each, with or without their own', () => {
  for (const prefix of ['app', 'app.', '.app', '.app.']) {
    for (const suffix of ['eu', '.eu', 'eu.', '.eu.']) {
      const stats = createTestClient({ prefix, suffix });
      stats.incr('q');
      expect(stats.lines, `${prefix} ${suffix}`).toEqual(['app.q.eu:1|c']);
    }
  }
});

test('dots inside a prefix or a name are the caller’s and stay', () => {
  const stats = createTestClient({ prefix: 'my.app' });
  stats.incr('db.query');
  expect(stats.lines).toEqual(['my.app.db.query:1|c']);
});
