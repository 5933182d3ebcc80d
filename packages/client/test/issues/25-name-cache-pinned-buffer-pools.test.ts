/**
 * Regression (issue 25): on Node 24 and 26 the name cache held 27.5 MB against its 4 MiB byte bound
 * ("5 000 names of 7 kB that are sent", issue 12's test, failed there). Two causes:
 * - each cached name's UTF-8 copy came from `Buffer.from`, a slice of Node's shared Buffer pool, which
 *   keeps the whole pool alive: 8 KiB pools up to Node 22, 64 KiB from Node 24 on (and strings up to
 *   32 KiB now come from the pool). A short cached name could pin 64 KiB;
 * - a name evicted from the cache stayed referenced by the cache's insertion-order queue until the
 *   queue's front was spliced off (up to ~1 000 evicted names and their bytes).
 * The key's bytes now have their own memory, and eviction clears the queue slot. Measured in a child
 * process after GC; `Buffer.poolSize` is set to Node 24's 64 KiB so every version runs the same case.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bundleClient } from '../helpers/bundle.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-pools-'));
beforeAll(async () => {
  await bundleClient(join(dir, 'client.mjs'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

/** Heap + external bytes retained after the loop `body` (with `stats` in scope), after GC. */
async function retained(
  name: string,
  body: string,
): Promise<{ grew: number; errors: number; lines: number }> {
  const script = join(dir, `${name}.mjs`);
  writeFileSync(
    script,
    `import { StatsClient } from './client.mjs';
Buffer.poolSize = 64 * 1024; // Node 24's pool (Node 20 and 22: 8 KiB)
let lines = 0;
let errors = 0;
const stats = new StatsClient({ aggregate: false,
  transport: { send(_p, _b, n) { lines += n; }, flush: async () => {}, close: async () => {} },
  batching: false,
  maxPacketSize: 8192,
  onError: () => { errors++; },
});
const used = () => { globalThis.gc(); globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.external; };
stats.incr('warm');
const before = used();
${body}
const grew = used() - before;
stats.incr('keep-alive');
process.stdout.write(JSON.stringify({ grew, errors, lines: lines - 2 }));
`,
  );
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', script], {
    maxBuffer: 1 << 20,
  });
  if (process.env.SHOW_RETAINED) console.log(name, stdout);
  return JSON.parse(stdout) as { grew: number; errors: number; lines: number };
}

test('2 000 short cached names among the app’s own Buffers: the cache pins no Buffer pool', async () => {
  // Between two metrics the app fills a pool's worth of short-lived Buffers (16 × 4 000 bytes).
  const r = await retained(
    'pools',
    `for (let i = 0; i < 2000; i++) {
  for (let j = 0; j < 16; j++) Buffer.from('y'.repeat(4000));
  stats.incr('route.' + i + '.hits');
}`,
  );
  expect(r.errors).toBe(0);
  expect(r.lines).toBe(2000);
  // before the fix: ~128 MB (each cached name's 20 bytes kept a 64 KiB pool alive)
  expect(r.grew).toBeLessThan(8 * MiB);
}, 60_000);

test('5 000 names of 7 kB past the byte bound: evicted names are not kept', async () => {
  const r = await retained(
    'evicted',
    `for (let i = 0; i < 5000; i++) stats.incr(String(i).padEnd(7000, 'x'));`,
  );
  expect(r.errors).toBe(0);
  expect(r.lines).toBe(5000);
  // the cache's bound is 4 MiB of estimated cost; before the fix: ~7 MB on Node 20 and 22 (evicted names
  // still queued), ~27 MB on Node 24 and 26 (plus the pools)
  expect(r.grew).toBeLessThan(5.5 * MiB);
}, 60_000);
