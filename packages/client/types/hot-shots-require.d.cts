// Types of the CommonJS entry (dist/hot-shots-require.cjs): `require()` returns the StatsD class.
import { StatsD } from './hot-shots.cjs';
export = StatsD;
