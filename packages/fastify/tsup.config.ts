import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

// `npm run build` then runs scripts/cjs-entry.mjs: the CommonJS build exports the plugin itself.
export default defineConfig(packageBuild({ index: 'src/index.ts' }));
