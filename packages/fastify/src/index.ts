/**
 * Request metrics for Fastify 4 and 5: the `statskit` plugin.
 * @module @statskit/fastify
 */
import { statskit } from './plugin.js';

export {
  CLIENT_CLOSED_REQUEST,
  type ClosableServer,
  type ClosableStats,
  type CloseOnSignalOptions,
  closeOnSignal,
  type MetricGroup,
  type RecorderMode,
  type RouteInfo,
  type SignalShutdown,
  type StatusGrouping,
} from '@statskit/instrument';
export { statskit, tagRequest } from './plugin.js';
export type {
  ExcludeOption,
  KeyFunction,
  RouteStatsConfig,
  StatskitFastifyOptions,
} from './types.js';
export default statskit;
