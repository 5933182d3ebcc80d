import { OpStats, resolveDbOptions } from './op-stats.js';
import type { DbStatsOptions } from './types.js';

/**
 * Prisma: a client extension (`prisma.$extends(prismaStats(...))`) with a `query.$allOperations` hook,
 * the documented way to wrap every model and raw operation. Typed structurally, without importing
 * `@prisma/client` (generated per schema).
 */

/**
 * Prisma operations reported by name (`$` dropped from the raw ones); anything else is `other`.
 */
export const PRISMA_OPERATIONS: ReadonlySet<string> = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'create',
  'createMany',
  'createManyAndReturn',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'upsert',
  'delete',
  'deleteMany',
  'aggregate',
  'groupBy',
  'count',
  'findRaw',
  'aggregateRaw',
  'queryRaw',
  'executeRaw',
  'queryRawUnsafe',
  'executeRawUnsafe',
  'runCommandRaw',
]);

/** What Prisma passes to a `$allOperations` hook. */
export interface PrismaOperationParams {
  /** The model (`User`), or `undefined` for raw operations. */
  readonly model?: string | undefined;
  /** `findMany`, `create`, `$queryRaw`, ... */
  readonly operation: string;
  /** The operation's arguments, passed on unchanged. */
  readonly args: unknown;
  /** Runs the operation (with possibly changed args). */
  query(args: unknown): PromiseLike<unknown>;
}

/** The extension object `prismaStats()` returns, for `prisma.$extends()`. */
export interface PrismaStatsExtension {
  /** The extension's name, as Prisma shows it. */
  readonly name: string;
  /** Prisma query hooks. */
  readonly query: {
    /** Times and counts every operation of every model. */
    readonly $allOperations: (params: PrismaOperationParams) => Promise<unknown>;
  };
}

function operationName(operation: unknown): string {
  if (typeof operation !== 'string') return 'other';
  const op = operation.charCodeAt(0) === 0x24 /* $ */ ? operation.slice(1) : operation;
  return PRISMA_OPERATIONS.has(op) ? op : 'other';
}

/**
 * A Prisma client extension timing every operation:
 * - `db.prisma.<name>.query.<operation>` (timer; `findMany`, `create`, `queryRaw`, ... or `other`),
 *   `...<operation>.errors` (counter);
 * - each operation adds to the current request's `db` totals.
 *
 * Results and errors are Prisma's own. Tested against a real Prisma 7.10 client (`prisma-client`
 * generator, `@prisma/adapter-pg`) on PostgreSQL: model operations, raw queries, errors, transactions
 * (each operation inside is timed; `$transaction` itself never reaches the hook).
 *
 * @throws {InvalidOptionError} when an option is invalid.
 * @example
 * ```ts
 * import { PrismaPg } from '@prisma/adapter-pg';
 * import { PrismaClient } from './generated/prisma/client.js';
 * import { prismaStats } from '@statskit/instrument';
 * const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString }) }).$extends(
 *   prismaStats({ stats, name: 'main' }),
 * );
 * await prisma.user.findMany(); // db.prisma.main.query.findMany:3.1|ms
 * ```
 */
export function prismaStats(options: DbStatsOptions): PrismaStatsExtension {
  const opts = resolveDbOptions(options, 'db', 'prismaStats');
  const stats = new OpStats(opts, 'db', 'prisma');
  return {
    name: 'statskit',
    query: {
      async $allOperations(params: PrismaOperationParams): Promise<unknown> {
        const op = operationName(params.operation);
        const ctx = stats.request();
        const t0 = performance.now();
        let failed = true;
        try {
          const result = await params.query(params.args);
          failed = false;
          return result;
        } finally {
          stats.record(op, performance.now() - t0, failed, ctx);
        }
      },
    },
  };
}
