import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig([
  packageBuild({
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
    'hot-shots': 'src/hot-shots/index.ts',
  }),
  // `require('@statskit/client/hot-shots')` returns the StatsD class itself, as `require('hot-shots')`
  // does: a CJS-only build whose default export becomes module.exports (tsup 8.5's cjsInterop emits a
  // second, broken `module.exports = exports.default`, hence the footer), typed by a hand-written
  // `export =` declaration (types/hot-shots-require.d.cts, copied by the build script). It carries its own copy of the core.
  {
    entry: { 'hot-shots-require': 'src/hot-shots/require.ts' },
    format: ['cjs'],
    dts: false,
    sourcemap: true,
    clean: false,
    footer: { js: 'module.exports = module.exports.default;' },
    target: 'node20',
    splitting: false,
    treeshake: true,
  },
]);
