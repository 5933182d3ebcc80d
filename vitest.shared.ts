import { fileURLToPath } from 'node:url';

const src = (pkg: string, file = 'index.ts') =>
  fileURLToPath(new URL(`./packages/${pkg}/src/${file}`, import.meta.url));

/** Tests import @statskit/* from source, so they never run against a stale build. */
export const alias = [
  { find: /^@statskit\/client\/testing$/, replacement: src('client', 'testing/index.ts') },
  { find: /^@statskit\/client\/hot-shots$/, replacement: src('client', 'hot-shots/index.ts') },
  { find: /^@statskit\/client$/, replacement: src('client') },
  {
    find: /^@statskit\/instrument\/(pg|mysql2|knex|ioredis|prisma)$/,
    replacement: fileURLToPath(new URL('./packages/instrument/src/entries/$1.ts', import.meta.url)),
  },
  { find: /^@statskit\/instrument$/, replacement: src('instrument') },
  { find: /^@statskit\/express$/, replacement: src('express') },
  { find: /^@statskit\/fastify$/, replacement: src('fastify') },
  { find: /^@statskit\/koa$/, replacement: src('koa') },
  { find: /^@statskit\/runtime$/, replacement: src('runtime') },
];
