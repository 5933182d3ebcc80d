#!/usr/bin/env node
/**
 * Generates the Prisma client of the real-Prisma test into ./generated (gitignored), offline.
 *
 * Prisma 7's `prisma-client` generator needs no Rust engine: the client runs Prisma's wasm query compiler
 * (shipped in `@prisma/client`) over a driver adapter (`@prisma/adapter-pg`). But the CLI still makes
 * sure the *schema engine* binary exists before `generate` and downloads it from binaries.prisma.sh
 * when missing (npm skips `@prisma/engines`' postinstall, and CI has no access to that host).
 * `generate` never runs that binary, so PRISMA_SCHEMA_ENGINE_BINARY points at a stub that fails loudly
 * if anything ever does. Used by vitest's globalSetup and before `typecheck`.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function generatePrismaClient() {
  const require = createRequire(import.meta.url);
  const cli = require.resolve('prisma/build/index.js');
  const schema = fileURLToPath(new URL('./schema.prisma', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'statskit-prisma-'));
  const stub = join(dir, 'no-schema-engine');
  writeFileSync(
    stub,
    '#!/bin/sh\necho "statskit: the Prisma schema engine is not installed (offline)" >&2\nexit 1\n',
  );
  chmodSync(stub, 0o755);
  try {
    const run = spawnSync(process.execPath, [cli, 'generate', '--schema', schema], {
      encoding: 'utf8',
      env: {
        ...process.env,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        CHECKPOINT_DISABLE: '1', // no update check / telemetry request
        PRISMA_HIDE_UPDATE_MESSAGE: '1',
      },
    });
    if (run.status !== 0) {
      throw new Error(`prisma generate failed (${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** vitest globalSetup entry point. */
export default function setup() {
  generatePrismaClient();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) generatePrismaClient();
