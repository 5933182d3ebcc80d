import { StatsClient } from '@statskit/client';

/** Packet budget shared by every buffered client: a 1500-byte MTU minus IP/UDP headers. */
const MTU_PAYLOAD = 1432;

/**
 * statskit's adapter; `server` names the statsd server (the `statskit-dogstatsd` row), otherwise none is
 * named (statskit's default options).
 * @param {string} name
 * @param {string} notes
 * @param {'dogstatsd' | undefined} [server]
 * @returns {import('./index.mjs').Adapter}
 */
export function statskitAdapter(name, notes, server) {
  return {
    name,
    pkg: '@statskit/client',
    buffered: true,
    aggregated: true,
    tags: 'object',
    sampling: true,
    notes,
    create({ host, port, buffered, aggregated }) {
      const stats = new StatsClient({
        ...(server === undefined ? {} : { server }),
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
}

export default statskitAdapter(
  'statskit',
  'buffered (raw mode): `maxPacketSize: 1432, flushInterval: 100, aggregate: false`; unbuffered: ' +
    '`batching: false, aggregate: false`; aggregated: the default options (aggregation on, interval 1000 ms; ' +
    'no `server` named, so timers stay one line per sample: the portable form every server reads). ' +
    '`close()` flushes the batch, waits for every send callback, then closes the socket.',
);
