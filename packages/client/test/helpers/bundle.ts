import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** Bundle the client from source into one ESM file, for tests that run it in a child process. */
export async function bundleClient(outfile: string): Promise<void> {
  await build({
    entryPoints: [fileURLToPath(new URL('../../src/index.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'silent',
  });
}
