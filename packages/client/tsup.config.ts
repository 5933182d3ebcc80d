import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

export default defineConfig(packageBuild({ index: 'src/index.ts', testing: 'src/testing/index.ts', 'hot-shots': 'src/hot-shots/index.ts' }));
