import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

/** The library, and the `statskit-host` command (dist/cli.js). */
export default defineConfig(packageBuild({ index: 'src/index.ts', cli: 'src/cli.ts' }));
