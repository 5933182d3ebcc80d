import { statskitAdapter } from './statskit.mjs';

export default statskitAdapter(
  'statskit-dogstatsd',
  "statskit with its server named, `server: 'dogstatsd'` (the Datadog Agent), otherwise as the " +
    '`statskit` row: aggregated, timer samples of one name share a DogStatsD multi-value line ' +
    '(`name:1:2:3|ms`) per interval; buffered/unbuffered as raw mode.',
  'dogstatsd',
);
