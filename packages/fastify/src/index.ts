import { statskit } from './plugin.js';

export type {
  MetricGroup,
  RecorderMode,
  RouteInfo,
  StatusGrouping,
} from '@statskit/instrument';
export { CLIENT_CLOSED_REQUEST, statskit } from './plugin.js';
export type {
  ExcludeOption,
  KeyFunction,
  RouteStatsConfig,
  StatskitFastifyOptions,
} from './types.js';
export default statskit;
