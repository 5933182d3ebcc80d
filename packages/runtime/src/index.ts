export type { CollectorHandle, CollectorMode, CollectorOptions } from './collector.js';
export type { HostMetricsOptions } from './host.js';
export { collectHostMetrics, HostCollector } from './host.js';
export type { PollFunction, PollOptions, PollStats } from './poll.js';
export { Poller, poll } from './poll.js';
export type { RuntimeMetricsOptions } from './runtime.js';
export { collectRuntimeMetrics, RuntimeCollector } from './runtime.js';
export type { ErrorHandler, MetricSink } from './sink.js';
export type { ThresholdEvent, ThresholdHandler, ThresholdMap, ThresholdOptions } from './threshold.js';
