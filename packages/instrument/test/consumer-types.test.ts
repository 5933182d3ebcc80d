/**
 * The published types must not need the optional peers (issue 12, item 8). Packs @statskit/client and
 * @statskit/instrument as npm would publish them (from the current build: `npm run build` first; `npm
 * test` does), unpacks them into a consumer project outside the repo that has only typescript and
 * @types/node (symlinked from the repo, no network), and type-checks an ESM and a CJS consumer with
 * `skipLibCheck: false` and `module: node16` importing the root and every subpath.
 */
import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const OPTIONAL_PEERS = ['pg', 'knex', 'ioredis', 'mysql2', 'undici', '@prisma/client'];

interface PackageJson {
  readonly name: string;
  readonly exports: Record<string, unknown>;
}

function readPackage(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** Every import specifier of a TS entry: the root and each subpath of `exports` but `./package.json`. */
function specifiers(pkg: PackageJson): string[] {
  return Object.keys(pkg.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
}

/** A program using the instrumentations with stand-ins typed only by this package's declarations. */
function consumerSource(entries: readonly string[]): string {
  const star = entries.map((e, i) => `import * as entry${i} from '${e}';`).join('\n');
  return `${star}
import { StatsClient } from '@statskit/client';
import {
  instrumentKnex,
  instrumentMysql2,
  instrumentPg,
  instrumentRedis,
  type PgTarget,
  prismaStats,
  type RedisTarget,
} from '@statskit/instrument';

export const entries: unknown[] = [${entries.map((_, i) => `entry${i}`).join(', ')}];
const stats = new StatsClient({ prefix: 'consumer' });
const pool = { query: (sql: string): Promise<string> => Promise.resolve(sql), totalCount: 0 };
const same: typeof pool = instrumentPg(pool, { stats, name: 'main' });
const redis: RedisTarget = { sendCommand: (command: { name: string }): unknown => command };
const target: PgTarget = same;
instrumentRedis(redis, { stats });
instrumentMysql2({ stats }).uninstrument();
export const extension = prismaStats({ stats });
export { instrumentKnex, target };
`;
}

const TSCONFIG = {
  compilerOptions: {
    module: 'node16',
    moduleResolution: 'node16',
    target: 'es2022',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  include: ['index.ts'],
};

describe('published types need none of the optional peers', () => {
  let dir: string;
  let entries: string[];
  const packed: Record<string, string> = {};

  beforeAll(async () => {
    for (const pkg of ['client', 'instrument']) {
      if (!existsSync(join(repo, 'packages', pkg, 'dist', 'index.d.ts'))) {
        throw new Error(`packages/${pkg}/dist is missing: run \`npm run build\` first`);
      }
    }
    dir = mkdtempSync(join(tmpdir(), 'statskit-consumer-'));
    const modules = join(dir, 'node_modules');
    const tarballs = join(dir, 'tarballs');
    mkdirSync(join(modules, '@statskit'), { recursive: true });
    mkdirSync(join(modules, '@types'), { recursive: true });
    mkdirSync(tarballs);
    await Promise.all(
      ['client', 'instrument'].map(async (pkg) => {
        const cwd = join(repo, 'packages', pkg);
        const { stdout } = await run(
          'npm',
          ['pack', '--json', '--ignore-scripts', '--pack-destination', tarballs],
          {
            cwd,
          },
        );
        const [info] = JSON.parse(stdout) as { filename: string }[];
        if (info === undefined) throw new Error(`npm pack printed nothing for ${pkg}`);
        const target = join(modules, '@statskit', pkg);
        mkdirSync(target);
        await run('tar', ['-xzf', join(tarballs, info.filename), '-C', target, '--strip-components=1']);
        packed[pkg] = target;
      }),
    );
    symlinkSync(join(repo, 'node_modules', 'typescript'), join(modules, 'typescript'), 'dir');
    symlinkSync(join(repo, 'node_modules', '@types', 'node'), join(modules, '@types', 'node'), 'dir');
    entries = [
      ...specifiers(readPackage(packed['client'] as string)),
      ...specifiers(readPackage(packed['instrument'] as string)),
    ];
    for (const [name, type] of [
      ['esm', 'module'],
      ['cjs', 'commonjs'],
    ] as const) {
      const project = join(dir, name);
      mkdirSync(project);
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: `consumer-${name}`, private: true, type }),
      );
      writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
      writeFileSync(join(project, 'index.ts'), consumerSource(entries));
    }
  }, 60_000);

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('no packed declaration file imports an optional peer', () => {
    const dts = join(packed['instrument'] as string, 'dist');
    const files = readdirSync(dts).filter((f) => f.endsWith('.d.ts') || f.endsWith('.d.cts'));
    expect(files.length).toBeGreaterThan(0);
    const offenders: string[] = [];
    for (const f of files) {
      // JSDoc examples may name the peers (`import pg from 'pg'`): only code and triple-slash directives count.
      const text = readFileSync(join(dts, f), 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/(?!\/\s*<reference).*$/gm, '');
      for (const peer of OPTIONAL_PEERS) {
        // import ... from 'pg', import('pg'), /// <reference types="pg" />, also 'pg/lib/...'
        const quoted = `['"]${peer.replace('/', '\\/')}(?:/[^'"]*)?['"]`;
        const re = new RegExp(
          `(?:from\\s+${quoted}|import\\(\\s*${quoted}|types=${quoted}|require\\(\\s*${quoted})`,
        );
        if (re.test(text)) offenders.push(`${f}: ${peer}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it.each(['esm', 'cjs'])(
    'a %s consumer without pg, knex, ioredis, mysql2, undici, @prisma/client type-checks (skipLibCheck false)',
    async (name) => {
      const tsc = join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
      const project = join(dir, name);
      const result = await run(process.execPath, [tsc, '-p', project], { cwd: project }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (err: { code?: number; stdout?: string }) => ({ code: err.code ?? 1, stdout: err.stdout ?? '' }),
      );
      expect(entries).toContain('@statskit/instrument');
      // none of the peers is resolvable from the consumer
      for (const peer of OPTIONAL_PEERS) expect(existsSync(join(dir, 'node_modules', peer))).toBe(false);
      expect(result.stdout).toBe('');
      expect(result.code).toBe(0);
    },
    60_000,
  );
});

describe('per-integration subpaths', () => {
  it('@statskit/instrument/<integration> exports the same functions as the root', async () => {
    const root = await import('@statskit/instrument');
    const pairs: [unknown, unknown][] = [
      [(await import('@statskit/instrument/pg')).instrumentPg, root.instrumentPg],
      [(await import('@statskit/instrument/pg')).uninstrumentPg, root.uninstrumentPg],
      [(await import('@statskit/instrument/mysql2')).instrumentMysql2, root.instrumentMysql2],
      [(await import('@statskit/instrument/knex')).instrumentKnex, root.instrumentKnex],
      [(await import('@statskit/instrument/ioredis')).instrumentRedis, root.instrumentRedis],
      [(await import('@statskit/instrument/prisma')).prismaStats, root.prismaStats],
    ];
    for (const [sub, main] of pairs) {
      expect(typeof sub).toBe('function');
      expect(sub).toBe(main);
    }
  });
});
