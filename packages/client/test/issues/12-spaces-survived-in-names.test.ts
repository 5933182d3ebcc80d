/**
 * Regression (issue 12, item 6): spaces, and characters Graphite cannot store or query in a path, were
 * sent in names as given. Each tag format now replaces them with `_` (docs/protocol.md has the table);
 * `.` stays the path separator.
 */
import type { TagFormat } from '@statskit/client';
import { createTestClient } from '@statskit/client/testing';
import { describe, expect, test } from 'vitest';

const NAME = 'GET /users/{id} (v2).p99 *?[a],b=\'c"\\d e';

const EXPECTED: Record<TagFormat, string> = {
  // Datadog (and the etsy daemon) would turn a space into `_` themselves: sent as it will be stored
  datadog: 'GET_/users/{id}_(v2).p99_*?[a],b=\'c"\\d_e',
  none: 'GET_/users/{id}_(v2).p99_*?[a],b=\'c"\\d_e',
  telegraf: 'GET_/users/{id}_(v2).p99_*?[a]_b_\'c"\\d_e',
  // a file path in carbon, a target in graphite-web: only `.` separates
  graphite: 'GET__users__id___v2_.p99____a__b__c__d_e',
};

describe.each(Object.keys(EXPECTED) as TagFormat[])('tagFormat %s', (format) => {
  test('names, prefixes and suffixes', () => {
    const stats = createTestClient({ tagFormat: format, prefix: 'my app', suffix: 'a b' });
    stats.incr(NAME);
    stats.child({ prefix: 'c d' }).incr('e f');
    expect(stats.lines).toEqual([`my_app.${EXPECTED[format]}.a_b:1|c`, 'my_app.c_d.e_f.a_b:1|c']);
    expect(stats.errors).toEqual([]);
  });
});

test('a set member is a value: only what would split the line is replaced', () => {
  const stats = createTestClient({ tagFormat: 'graphite' });
  stats.set('users', 'ann (admin)/x');
  expect(stats.lines).toEqual(['users:ann_(admin)/x|s']);
});
