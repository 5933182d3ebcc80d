#!/usr/bin/env node
// Runs every vitest project once, then prints one plain summary line ("N passed, N failed, N skipped")
// that CI reads. Exit code is vitest's. Extra arguments go to vitest (e.g. `npm test -- --project client`).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'statskit-test-'));
const out = join(dir, 'results.json');
const run = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
let code = run.status ?? 1;
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = r.numPendingTests + r.numTodoTests;
  // Name every skipped test, so a run on another Node version shows what it did not prove and why
  // (a skip names the feature that is absent, or the server that is down).
  const names = [];
  for (const file of r.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') {
        names.push(`  ${relative(process.cwd(), file.name)} > ${t.fullName}`);
      }
    }
  }
  if (names.length > 0) console.log(`\nskipped on node ${process.versions.node}:\n${names.join('\n')}`);
  console.log(`\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) {
    console.error('no test ran');
    code = 1;
  }
} catch (err) {
  console.error(`could not read the vitest results: ${err.message}`);
  code = 1;
}
rmSync(dir, { recursive: true, force: true });
process.exit(code);
