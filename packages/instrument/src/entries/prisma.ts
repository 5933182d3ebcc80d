/**
 * `@statskit/instrument/prisma`: the Prisma client extension alone (the root entry has it too).
 * @module @statskit/instrument/prisma
 */
export {
  PRISMA_OPERATIONS,
  type PrismaOperationParams,
  type PrismaStatsExtension,
  prismaStats,
} from '../db/prisma.js';
export type { DbStatsMode, DbStatsOptions } from '../db/types.js';
