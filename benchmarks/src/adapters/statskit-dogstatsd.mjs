import { StatsClient } from '@statskit/client';

/** Packet budget shared by every buffered client: a 1500-byte MTU minus IP/UDP headers. */
const MTU_PAYLOAD = 1432;

/** @type {import('./index.mjs').Adapter} */
export default {
  name: 'statskit-dogstatsd',
  pkg: '@statskit/client',
  buffered: true,
  aggregated: true,
  tags: 'object',
  sampling: true,
  notes:
    "statskit with its server named, `server: 'dogstatsd'` (the Datadog Agent), otherwise as the " +
    '`statskit` row: aggregated, timer samples of one name share a DogStatsD multi-value line ' +
    '(`name:1:2:3|ms`) per interval; buffered/unbuffered as raw mode.',
  create({ host, port, buffered, aggregated }) {
    const stats = new StatsClient({
      server: 'dogstatsd',
      host,
      port,
      batching: buffered,
      // aggregated: the client's default (aggregation on); buffered/unbuffered: raw lines
      ...(aggregated ? {} : { aggregate: false }),
      maxPacketSize: MTU_PAYLOAD,
      flushInterval: 100,
      onError: () => {},
    });
    /** @type {{ rate: number } | undefined} */
    let rateOpts;
    return {
      incr(name, rate) {
        if (rate === undefined) stats.incr(name);
        else {
          if (rateOpts?.rate !== rate) rateOpts = { rate };
          stats.incr(name, 1, rateOpts);
        }
      },
      timing(name, ms, tags) {
        if (tags === undefined) stats.timing(name, ms);
        else stats.timing(name, ms, { tags: /** @type {Record<string, string>} */ (tags) });
      },
      gauge(name, value) {
        stats.gauge(name, value);
      },
      close: () => stats.close(),
    };
  },
};
