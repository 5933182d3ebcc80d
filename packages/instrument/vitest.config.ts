import { defineProject } from 'vitest/config';
import { alias } from '../../vitest.shared.js';

export default defineProject({
  resolve: { alias },
  test: {
    name: 'instrument',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/db/prisma/generate.mjs'],
  },
});
