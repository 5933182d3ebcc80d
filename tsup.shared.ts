import type { Options } from 'tsup';

/** The build every package shares: dual ESM/CJS, types per condition, Node 20. Packages name their entries. */
export function packageBuild(entry: Record<string, string>): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    // Entries share chunks, so classes (and instanceof) are the same across a package's subpaths.
    splitting: true,
    treeshake: true,
  };
}
