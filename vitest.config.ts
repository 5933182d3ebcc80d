import { defineConfig } from 'vitest/config';

// One vitest run over every workspace that has tests; each package is a project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*', 'scripts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
