/**
 * The CommonJS entry of `@statskit/client/hot-shots`: `require()` returns the `StatsD` class itself, as
 * `require('hot-shots')` does (`StatsD.StatsD` is the class too).
 * @packageDocumentation
 */
import { StatsD } from './stats-d.js';

export default StatsD;
