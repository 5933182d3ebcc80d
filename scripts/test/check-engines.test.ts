/**
 * scripts/check-engines.mjs (issue 12, item 16): every package the lockfile installs accepts the
 * supported Node versions (the running one and the lowest of each major in the root `engines.node`:
 * 20.19.0, 22.12.0, 24.0.0, 26.0.0 — issue 25), so `npm ci`
 * warns EBADENGINE for nothing that is not allowed and documented.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no declarations
import { ALLOWED, checkLockfile, supportedVersions } from '../check-engines.mjs';

const script = fileURLToPath(new URL('../check-engines.mjs', import.meta.url));
const lockfile = fileURLToPath(new URL('../../package-lock.json', import.meta.url));

type Check = (lock: unknown, versions: string[], allowed?: Record<string, string>) => string[];
const check = checkLockfile as Check;

/** A lockfile with the packages `npm ci` warned about before the pin (fastify 5's light-my-request). */
const before = {
  packages: {
    '': { name: 'x', engines: { node: '>=20.19' } },
    'node_modules/light-my-request': { version: '6.8.1', dependencies: { cookie: '^2.0.0' } },
    'node_modules/light-my-request/node_modules/cookie': { version: '2.0.2', engines: { node: '>=22' } },
    'node_modules/@prisma/streams-local': { version: '0.1.11', dev: true, engines: { node: '>=22.0.0' } },
    'node_modules/@napi-rs/lzma-linux-x64-gnu': {
      version: '1.5.1',
      dev: true,
      optional: true,
      engines: { node: '^22.20 || ^24.12 || >=25' },
    },
    'node_modules/ok': { version: '1.0.0', engines: { node: '>=18' } },
    'packages/client': { version: '0.1.0', engines: { node: '>=20.19' } },
  },
};

describe('check-engines', () => {
  it("the repository's package-lock.json installs nothing that excludes the supported Node versions", () => {
    const versions = supportedVersions() as string[];
    expect(versions).toEqual(expect.arrayContaining(['20.19.0', '22.12.0', '24.0.0', '26.0.0']));
    expect(versions).toContain(process.versions.node);
    expect(check(JSON.parse(readFileSync(lockfile, 'utf8')), versions)).toEqual([]);
  });

  it('names a package that needs a newer Node; skips allowed and optional ones', () => {
    const problems = check(before, ['20.19.0']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^cookie@2\.0\.2 \(node_modules\/light-my-request\/node_modules\/cookie\) needs node >=22/,
    );
    expect(Object.keys(ALLOWED as object)).toEqual(['@prisma/streams-local']);
    expect(check(before, ['20.19.0'], {})).toHaveLength(2);
    expect(check(before, ['22.20.0'])).toEqual([]);
  });

  it('the command exits 1 with the offenders, 0 on the repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'statskit-engines-'));
    try {
      const file = join(dir, 'package-lock.json');
      writeFileSync(file, JSON.stringify(before));
      let status = 0;
      let stderr = '';
      try {
        execFileSync(process.execPath, [script, file], { encoding: 'utf8', stdio: 'pipe' });
      } catch (err) {
        status = (err as { status: number }).status;
        stderr = (err as { stderr: string }).stderr;
      }
      expect(status).toBe(1);
      expect(stderr).toContain('cookie@2.0.2');
      expect(stderr).not.toContain('streams-local');
      expect(execFileSync(process.execPath, [script], { encoding: 'utf8' })).toMatch(
        /every installed package/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
