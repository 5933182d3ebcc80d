import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.shared.js';

/** The root entry has everything; each DB/cache integration also has a subpath of its own. */
export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    pg: 'src/entries/pg.ts',
    mysql2: 'src/entries/mysql2.ts',
    knex: 'src/entries/knex.ts',
    ioredis: 'src/entries/ioredis.ts',
    prisma: 'src/entries/prisma.ts',
  }),
);
