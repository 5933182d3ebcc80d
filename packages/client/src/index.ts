/**
 * The StatsD client: `StatsClient`, its options, errors and transports.
 * @module @statskit/client
 */
export type { AggregateOptions } from './aggregator.js';
export type { AnnotateOptions } from './carbon/events.js';
export type { CarbonOptions, GraphiteWebOptions } from './carbon/options.js';
export type { ChildOptions, StatsClientHolder, TimedDecorator, Timer } from './client.js';
export { STATS_CLIENT, StatsClient } from './client.js';
export type { ErrorCode } from './errors.js';
export {
  ClientClosedError,
  ErrorCodes,
  InvalidMetricError,
  InvalidOptionError,
  StatsError,
  TransportError,
} from './errors.js';
export type { ClientOptions, Protocol, ResolvedOptions } from './options.js';
export { unknownOptionKeys } from './options.js';
export type { CheckOptions, EventAlertType, EventOptions, EventPriority } from './protocol/dogstatsd.js';
export { CheckStatus } from './protocol/dogstatsd.js';
export type { ParsedMetric } from './protocol/parse.js';
export { parseLine, parsePacket } from './protocol/parse.js';
export { MemoryTransport } from './transports/memory.js';
export type { StreamFraming } from './transports/stream.js';
export type { UdsDatagramOptions } from './transports/uds-dgram.js';
export { UdsDatagramTransport, udsDatagramTransport } from './transports/uds-dgram.js';
export type {
  MetricOptions,
  MetricType,
  StatsServer,
  TagFormat,
  Tags,
  Telemetry,
  TimeOptions,
  Transport,
  TransportContext,
  TransportFactory,
} from './types.js';
