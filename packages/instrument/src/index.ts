/**
 * Request context, the request-metrics recorder shared by the framework adapters, and DB, cache and HTTP-client instrumentation.
 * @module @statskit/instrument
 */
export {
  type AdapterMiddlewareApi,
  AdapterRequest,
  CLIENT_CLOSED_REQUEST,
  RequestAdapter,
  tagState,
} from './adapter.js';
export {
  type AdapterOptions,
  type AdapterOptionsSpec,
  type AdapterRecorderOptions,
  createAdapterRecorder,
  KeyOverride,
  mergeTags,
  type ResolvedAdapterOptions,
  type ResolvedRouteStats,
  type RouteStatsConfig,
  RouteTagsTable,
  resolveAdapterOptions,
  resolveRouteStats,
} from './adapter-options.js';
export { countResponseBytes, requestBytes, responseBytes } from './body-size.js';
export { metricNames, tagNames } from './catalogue.js';
export {
  currentRequest,
  enableRequestContext,
  MAX_KINDS_PER_REQUEST,
  RequestContext,
  requestContextEnabled,
  runWithRequest,
} from './context.js';
export { instrumentRedis, REDIS_READ_COMMANDS, type RedisTarget, uninstrumentRedis } from './db/ioredis.js';
export { instrumentKnex, type KnexTarget } from './db/knex.js';
export { instrumentMysql2 } from './db/mysql2.js';
export { instrumentPg, type PgTarget, uninstrumentPg } from './db/pg.js';
export {
  PRISMA_OPERATIONS,
  type PrismaOperationParams,
  type PrismaStatsExtension,
  prismaStats,
} from './db/prisma.js';
export { SQL_OPERATIONS, sqlOperation } from './db/sql-operation.js';
export type {
  DbStatsMode,
  DbStatsOptions,
  Mysql2ConnectionInfo,
  Mysql2StatsOptions,
  PgStatsOptions,
  RedisStatsOptions,
  Uninstrument,
} from './db/types.js';
export { StatsHttpAgent, StatsHttpsAgent } from './http/agent.js';
export { httpClientMetricNames, httpClientTagNames } from './http/call-stats.js';
export { instrumentFetch } from './http/fetch.js';
export { OTHER_HOST_KEY } from './http/host-key.js';
export { instrumentHttpClient } from './http/node-http.js';
export type {
  HttpClientErrorCode,
  HttpClientInstrumentation,
  HttpClientStatsMode,
  HttpClientStatsOptions,
  HttpClientStatusGrouping,
} from './http/types.js';
export { type DispatchOptionsLike, type StatsInterceptor, statsInterceptor } from './http/undici.js';
export { createRequestRecorder } from './recorder.js';
export {
  encodeRouteKey,
  encodeSegment,
  OVERFLOW_ROUTE_KEY,
  ROOT_ROUTE_KEY,
  regexpTemplate,
  UNMATCHED_ROUTE_KEY,
} from './route-key.js';
export {
  offServerRequest,
  onServerRequest,
  type RequestOwner,
  requestStart,
  type TrackedRequest,
  trackedState,
  trackRequest,
  trackResponse,
  useFinishChannel,
  useStartChannel,
} from './server-channels.js';
export {
  type ClosableServer,
  type ClosableStats,
  type CloseOnSignalOptions,
  closeOnSignal,
  type SignalShutdown,
} from './shutdown.js';
export type {
  ContextKind,
  CountMetricType,
  FinishedRequest,
  KindTotals,
  MetricGroup,
  RecorderMode,
  RequestRecorder,
  RequestRecorderOptions,
  RouteInfo,
  StatusGrouping,
} from './types.js';
