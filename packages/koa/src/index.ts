export type {
  MetricGroup,
  RecorderMode,
  RouteInfo,
  StatusGrouping,
} from '@statskit/instrument';
export { CLIENT_CLOSED_REQUEST, statsdMiddleware } from './middleware.js';
export type {
  ExcludeOption,
  KeyFunction,
  StatsdMiddleware,
  StatsdMiddlewareOptions,
} from './types.js';
