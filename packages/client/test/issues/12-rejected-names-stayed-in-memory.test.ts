/**
 * Regression (issue 12, item 20): the name cache (10 000 entries, no byte bound) kept names whose lines
 * were dropped as too large — 1 000 names of 100 kB took RSS from 46 to 260 MiB, after GC. A name is now
 * cached only once a line with it was accepted, and the cache is bounded in bytes as well as entries
 * (the oldest names go first). Measured in a child process, after GC, with generous bounds.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleClient } from '../helpers/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-names-'));
beforeAll(async () => {
  await bundleClient(join(dir, 'client.mjs'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Heap + external bytes retained by sending `count` distinct names of `size` chars, after GC. */
async function retained(
  count: number,
  size: number,
  maxPacketSize: number,
): Promise<{ grew: number; errors: number; lines: number }> {
  const script = join(dir, `run-${count}-${size}.mjs`);
  writeFileSync(
    script,
    `import { StatsClient } from './client.mjs';
let lines = 0;
let errors = 0;
const stats = new StatsClient({ aggregate: false,
  transport: { send(_p, _b, n) { lines += n; }, flush: async () => {}, close: async () => {} },
  batching: false,
  maxPacketSize: ${maxPacketSize},
  onError: () => { errors++; },
});
const used = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
stats.incr('warm');
const before = used();
for (let i = 0; i < ${count}; i++) stats.incr(String(i).padEnd(${size}, 'x'));
const grew = used() - before;
stats.incr('keep-alive');
process.stdout.write(JSON.stringify({ grew, errors, lines: lines - 2 }));
`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', script], {
    maxBuffer: 1 << 20,
  });
  if (process.env.SHOW_RETAINED) console.log(stdout);
  return JSON.parse(stdout) as { grew: number; errors: number; lines: number };
}

const MiB = 1024 * 1024;

test('1 000 names of 100 kB, every line too large: nothing is kept', async () => {
  const r = await retained(1000, 100_000, 1432);
  expect(r.errors).toBe(1000); // STATSKIT_ERR_LINE_TOO_LARGE each
  expect(r.lines).toBe(0);
  // before the fix: ~200 MB (each name and its UTF-8 copy)
  expect(r.grew).toBeLessThan(16 * MiB);
}, 60_000);

test('5 000 names of 7 kB that are sent: the cache stays within its byte bound', async () => {
  const r = await retained(5000, 7000, 8192);
  expect(r.errors).toBe(0);
  expect(r.lines).toBe(5000);
  // before the fix: ~70 MB (5 000 entries under the 10 000-entry limit, no byte bound)
  expect(r.grew).toBeLessThan(16 * MiB);
}, 60_000);
