#!/usr/bin/env node
// Every package package-lock.json installs must accept the Node versions the repository supports: the
// running Node and the lowest version of each major the root package.json's `engines.node` lists
// (20.19.0, 22.12.0, 24.0.0, 26.0.0). A package
// whose `engines.node` excludes one of them makes `npm ci` warn EBADENGINE and may not work there.
//
//   node scripts/check-engines.mjs [path/to/package-lock.json]
//
// Exit 0: every installed package accepts both versions (or is allowed below). Exit 1: the offenders,
// one per line. Optional packages are skipped: npm does not install an optional package whose engines
// exclude the running Node (e.g. rollup's @napi-rs/lzma-* on Node 20).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const semver = require('semver');

/**
 * Packages allowed to require a newer Node, each with why it is harmless. Keep README.md ("Node
 * versions") in step.
 */
export const ALLOWED = {
  // prisma 7.10 (a dev dependency of @statskit/instrument's tests, for `prisma generate`) depends on
  // @prisma/dev, which pins it; every published version declares node >= 22. It is only loaded by
  // `prisma dev` (a local Prisma Postgres server), which this repository never runs.
  '@prisma/streams-local': 'dev-only: loaded by `prisma dev` only, never run here',
};

/** The problems with one lockfile, as lines (empty when every installed package accepts `versions`). */
export function checkLockfile(lock, versions, allowed = ALLOWED) {
  const problems = [];
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || entry.link === true || !path.includes('node_modules/')) continue;
    const range = entry.engines?.node;
    if (typeof range !== 'string' || entry.optional === true) continue;
    const name = entry.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const excluded = versions.filter((v) => !semver.satisfies(v, range, { includePrerelease: true }));
    if (excluded.length === 0 || Object.hasOwn(allowed, name)) continue;
    problems.push(
      `${name}@${entry.version} (${path}${entry.dev === true ? ', dev' : ''}) needs node ${range}, not ${excluded.join(' or ')}`,
    );
  }
  return problems;
}

/** The running Node and the lowest version of each range (`||` part) of the root package.json's engines. */
export function supportedVersions(pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))) {
  const mins = pkg.engines.node.split('||').map((part) => semver.minVersion(part.trim()).version);
  return [...new Set([process.versions.node, ...mins])];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = resolve(process.argv[2] ?? resolve(root, 'package-lock.json'));
  const versions = supportedVersions();
  const problems = checkLockfile(JSON.parse(readFileSync(file, 'utf8')), versions);
  if (problems.length > 0) {
    console.error(
      `check-engines: ${problems.length} installed package(s) exclude node ${versions.join(' / ')}:`,
    );
    for (const p of problems) console.error(`  ${p}`);
    console.error('Pin a version that supports them (root package.json `overrides`), or allow it in');
    console.error('scripts/check-engines.mjs with the reason it is harmless, and say so in README.md.');
    process.exit(1);
  }
  console.log(`check-engines: every installed package accepts node ${versions.join(' and ')}`);
}
