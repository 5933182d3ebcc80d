/**
 * The packed packages as a TypeScript user installs them, in a project outside the repository:
 * @statskit/client, @statskit/instrument and @statskit/fastify from `npm pack` tarballs, fastify,
 * fastify-plugin, typescript and @types/node linked from the repository's node_modules (no network).
 * CommonJS (`import statskit = require('@statskit/fastify')`, as the README offers `require`) and ESM
 * (`import statskit from ...`) must type-check with `tsc` and register on a real Fastify instance
 * (issue 12, item 9: the CommonJS form failed with TS2769).
 * Needs the build (`npm test` builds first).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
let dir = '';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What the compiled programs print: the metric names the plugin sent for one request. */
const program = (importLines: string, plugins: string) => `${importLines}

async function main(): Promise<void> {
  const names: string[][] = [];
  for (const plugin of ${plugins}) {
    const stats = createTestClient();
    const app = Fastify({ logger: false });
    await app.register(plugin, { client: stats, prefix: 'web', exclude: ['/healthz'] });
    app.get('/users/:id', { config: { stats: { tags: { team: 'core' } } } }, async (request) => {
      request.stats.incr('lookups');
      return 'ok';
    });
    const res = await app.inject({ url: '/users/7' });
    if (res.statusCode !== 200) throw new Error(String(res.statusCode));
    await app.close();
    names.push(stats.metrics.map((m) => m.name));
  }
  process.stdout.write(JSON.stringify(names));
}
void main();
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'statskit-consumer-'));
  const packs = join(dir, 'packs');
  mkdirSync(packs);
  const out = execFileSync(
    'npm',
    [
      'pack',
      '--json',
      '--pack-destination',
      packs,
      '-w',
      'packages/client',
      '-w',
      'packages/instrument',
      '-w',
      'packages/fastify',
    ],
    { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const nm = join(dir, 'node_modules');
  mkdirSync(join(nm, '@statskit'), { recursive: true });
  mkdirSync(join(nm, '@types'), { recursive: true });
  for (const { name, filename } of JSON.parse(out) as { name: string; filename: string }[]) {
    const target = join(nm, name);
    mkdirSync(target, { recursive: true });
    run('tar', [
      '-xzf',
      join(packs, filename.replace(/^@statskit\//, 'statskit-')),
      '-C',
      target,
      '--strip-components=1',
    ]);
  }
  // @statskit/instrument's declarations name its optional peers' types (pg, knex, ioredis).
  for (const dep of [
    'fastify',
    'fastify-plugin',
    'typescript',
    '@types/node',
    '@types/pg',
    'pg',
    'knex',
    'ioredis',
  ]) {
    symlinkSync(join(repo, 'node_modules', dep), join(nm, dep), 'dir');
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'commonjs' }),
  );
  // One project per module kind: a program that loads both the CJS and the ESM declarations of a
  // package sees two `StatsClient` types (the dual-package hazard), which no single app has.
  for (const kind of ['cjs', 'esm']) {
    writeFileSync(
      join(dir, `tsconfig.${kind}.json`),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          types: ['node'],
          outDir: 'out',
          skipLibCheck: false,
        },
        files: [kind === 'cjs' ? 'src/cjs.ts' : 'src/esm.mts'],
      }),
    );
  }
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'cjs.ts'),
    program(
      `import statskit = require('@statskit/fastify');
import Fastify = require('fastify');
import testing = require('@statskit/client/testing');
const { createTestClient } = testing;
const closed: number = statskit.CLIENT_CLOSED_REQUEST;
void closed;`,
      '[statskit, statskit.statskit, statskit.default]',
    ),
  );
  writeFileSync(
    join(dir, 'src', 'esm.mts'),
    program(
      `import statskit, { statskit as named, type StatskitFastifyOptions } from '@statskit/fastify';
import Fastify from 'fastify';
import { createTestClient } from '@statskit/client/testing';
const options: StatskitFastifyOptions = { prefix: 'web' };
void options;`,
      '[statskit, named]',
    ),
  );
}, 120_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

const expected = ['web.view.users._id.GET', 'lookups'];

describe('a TypeScript consumer of the packed @statskit/fastify', () => {
  it.each(['cjs', 'esm'])(
    '%s: type-checks (tsc exit 0, skipLibCheck off) and compiles',
    (kind) => {
      let output = '';
      try {
        run(process.execPath, [join(dir, 'node_modules/typescript/bin/tsc'), '-p', `tsconfig.${kind}.json`]);
      } catch (err) {
        output = String((err as { stdout?: string }).stdout ?? err);
      }
      expect(output).toBe('');
    },
    120_000,
  );

  it('CommonJS: the compiled require() registers the plugin (itself, .statskit, .default) on Fastify', () => {
    const names = JSON.parse(run(process.execPath, ['out/cjs.js'])) as string[][];
    expect(names).toHaveLength(3);
    for (const n of names) expect(n).toEqual(expect.arrayContaining(expected));
  });

  it('ESM: the compiled import registers the plugin (default and named) on Fastify', () => {
    const names = JSON.parse(run(process.execPath, ['out/esm.mjs'])) as string[][];
    expect(names).toHaveLength(2);
    for (const n of names) expect(n).toEqual(expect.arrayContaining(expected));
  });
});
