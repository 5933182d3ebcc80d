/**
 * Request metrics for Express 4 and 5: `statsdMiddleware()`.
 * @module @statskit/express
 */
export {
  CLIENT_CLOSED_REQUEST,
  type ClosableServer,
  type ClosableStats,
  type CloseOnSignalOptions,
  closeOnSignal,
  type MetricGroup,
  type RecorderMode,
  type RouteInfo,
  type RouteStatsConfig,
  type SignalShutdown,
  type StatusGrouping,
} from '@statskit/instrument';
export { routeStats, statsdMiddleware, tagRequest } from './middleware.js';
export type {
  ExcludeOption,
  KeyFunction,
  StatsdMiddleware,
  StatsdMiddlewareOptions,
} from './types.js';
