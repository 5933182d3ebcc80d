import type { StatsClient, Tags } from '@statskit/client';
import { fail, isStatsClient } from './shared.js';
import type {
  CountMetricType,
  MetricGroup,
  RecorderMode,
  RequestRecorderOptions,
  RouteInfo,
  StatusGrouping,
} from './types.js';

/** Recorder options after defaults and validation. */
export interface ResolvedRecorderOptions {
  readonly client: StatsClient;
  readonly prefix: string;
  readonly mode: RecorderMode;
  readonly groups: Readonly<Record<MetricGroup, boolean>>;
  readonly statusCode: boolean;
  readonly statusClass: boolean;
  readonly tags: Tags | undefined;
  readonly routeTags: ((route: RouteInfo) => Tags | undefined) | undefined;
  readonly maxRoutes: number;
  /** `'.'`, or a string of `-`/`_` that replaces it between a template's path segments. */
  readonly routeSeparator: string;
  readonly counterInterval: number;
  readonly countType: CountMetricType;
  readonly sizes: boolean;
}

export const METRIC_GROUPS: readonly MetricGroup[] = ['route', 'aggregate', 'errors', 'context'];
const MODES: readonly RecorderMode[] = ['names', 'tags'];
const GROUPINGS: readonly StatusGrouping[] = ['code', 'class', 'both'];
const COUNT_TYPES: readonly CountMetricType[] = ['ms', 'h', 'd'];
/** A route separator other than `.`: characters a route key segment may hold, so every backend takes it. */
const ROUTE_SEPARATOR = /^[-_]{1,4}$/;

/** Validate once; throws InvalidOptionError. */
export function resolveRecorderOptions(options: RequestRecorderOptions): ResolvedRecorderOptions {
  if (typeof options !== 'object' || options === null) fail('recorder options must be an object');
  if (!isStatsClient(options.client)) fail('recorder option `client` must be a StatsClient');
  const prefix = options.prefix ?? 'http';
  if (typeof prefix !== 'string') fail('`prefix` must be a string');
  const mode = options.mode ?? 'names';
  if (!MODES.includes(mode)) fail(`\`mode\` must be 'names' or 'tags', got ${String(mode)}`);
  const grouping = options.statusGrouping ?? 'both';
  if (!GROUPINGS.includes(grouping)) {
    fail(`\`statusGrouping\` must be 'code', 'class' or 'both', got ${String(grouping)}`);
  }
  const metrics = options.metrics ?? {};
  if (typeof metrics !== 'object' || metrics === null) fail('`metrics` must be an object of booleans');
  const groups = { route: true, aggregate: true, errors: true, context: true };
  for (const [k, v] of Object.entries(metrics)) {
    if (!METRIC_GROUPS.includes(k as MetricGroup)) {
      fail(`unknown metric group \`${k}\` (known: ${METRIC_GROUPS.join(', ')})`);
    }
    if (v === undefined) continue;
    if (typeof v !== 'boolean') fail(`\`metrics.${k}\` must be a boolean`);
    groups[k as MetricGroup] = v;
  }
  const tags = options.tags;
  if (tags !== undefined && (typeof tags !== 'object' || tags === null)) {
    fail('`tags` must be an object or an array of strings');
  }
  const routeTags = options.routeTags;
  if (routeTags !== undefined && typeof routeTags !== 'function') fail('`routeTags` must be a function');
  const maxRoutes = options.maxRoutes ?? 1000;
  if (typeof maxRoutes !== 'number' || !Number.isInteger(maxRoutes) || maxRoutes < 1) {
    fail(`\`maxRoutes\` must be a positive integer, got ${String(maxRoutes)}`);
  }
  const routeSeparator = options.routeSeparator ?? '.';
  if (
    typeof routeSeparator !== 'string' ||
    (routeSeparator !== '.' && !ROUTE_SEPARATOR.test(routeSeparator))
  ) {
    fail(
      `\`routeSeparator\` must be '.' or 1 to 4 of '-' and '_' (e.g. '-': /users/:id → users-_id), got ${String(routeSeparator)}`,
    );
  }
  // a client that aggregates (the default) sums the counters itself: send each at once
  const counterInterval =
    options.counterInterval ??
    ((options.client as { aggregating?: unknown }).aggregating === true ? 0 : 1000);
  if (
    typeof counterInterval !== 'number' ||
    !Number.isFinite(counterInterval) ||
    counterInterval < 0 ||
    counterInterval > 2_147_483_647
  ) {
    fail(`\`counterInterval\` must be a number of ms >= 0, got ${String(counterInterval)}`);
  }
  const countType = options.countType ?? 'ms';
  if (!COUNT_TYPES.includes(countType))
    fail(`\`countType\` must be 'ms', 'h' or 'd', got ${String(countType)}`);
  const sizes = options.sizes ?? false;
  if (typeof sizes !== 'boolean') fail('`sizes` must be a boolean');
  return Object.freeze({
    counterInterval,
    countType,
    sizes,
    client: options.client,
    prefix,
    mode,
    groups: Object.freeze(groups),
    statusCode: grouping !== 'class',
    statusClass: grouping !== 'code',
    tags,
    routeTags,
    maxRoutes,
    routeSeparator,
  });
}
