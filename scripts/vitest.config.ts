import { defineProject } from 'vitest/config';

// Tests of the repository's own scripts (scripts/*.mjs).
export default defineProject({
  test: { name: 'repo', include: ['test/**/*.test.ts'] },
});
