// Types of the CommonJS entry (dist/hot-shots-require.cjs): `require('@statskit/client/hot-shots')`
// returns the StatsD class, as `require('hot-shots')` does. A class merged with a namespace, so
// `import StatsD = require(...)`, `import * as hs from ...` and the types (`StatsD.ClientOptions`) all work.
import * as hs from './hot-shots.cjs';

declare class StatsD extends hs.StatsD {}
declare namespace StatsD {
  export type ClientOptions = hs.ClientOptions;
  export type ChildClientOptions = hs.ChildClientOptions;
  export type CheckOptions = hs.CheckOptions;
  export type EventOptions = hs.EventOptions;
  export type MetricOptions = hs.MetricOptions;
  export type Tags = hs.Tags;
  export type StatsCb = hs.StatsCb;
  export type TimerContext = hs.TimerContext;
  export type DatadogChecks = hs.DatadogChecks;
  export type DatadogChecksValues = hs.DatadogChecksValues;
  export type HotShotsOptions = hs.HotShotsOptions;
  export type HotShotsChildOptions = hs.HotShotsChildOptions;
  export type HotShotsCheckOptions = hs.HotShotsCheckOptions;
  export type HotShotsEventOptions = hs.HotShotsEventOptions;
  export type HotShotsMetricOptions = hs.HotShotsMetricOptions;
  export type HotShotsTags = hs.HotShotsTags;
  export type WithoutContext<A extends unknown[]> = hs.WithoutContext<A>;
}
export = StatsD;
