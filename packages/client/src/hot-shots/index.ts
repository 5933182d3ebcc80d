/**
 * `@statskit/client/hot-shots`: hot-shots' `StatsD` API on statskit's core. Change the import, keep the
 * code: `import StatsD from '@statskit/client/hot-shots'`.
 * @module @statskit/client/hot-shots
 */
import { StatsD } from './stats-d.js';

export { StatsD } from './stats-d.js';
export type {
  CallRest,
  CountCall,
  DatadogChecks,
  DatadogChecksValues,
  HotShotsCheckOptions,
  HotShotsCheckOptions as CheckOptions,
  HotShotsChildOptions,
  HotShotsChildOptions as ChildClientOptions,
  HotShotsEventOptions,
  HotShotsEventOptions as EventOptions,
  HotShotsMetricOptions,
  HotShotsMetricOptions as MetricOptions,
  HotShotsOptions,
  HotShotsOptions as ClientOptions,
  HotShotsTags,
  HotShotsTags as Tags,
  MetricCall,
  Stat,
  StatsCb,
  TimedResult,
  TimerCall,
  TimerContext,
  WithoutContext,
} from './types.js';
export default StatsD;
