import StatsD from 'node-statsd';
import { dgramIdle } from '../lib/dgram-idle.mjs';

/** @type {import('./index.mjs').Adapter} */
export default {
  name: 'node-statsd',
  pkg: 'node-statsd',
  buffered: false,
  aggregated: false,
  tags: 'array',
  sampling: true,
  notes:
    'No buffering: one packet per call (buffered rows N/A). `close()` closes the socket at once, dropping ' +
    'sends still in flight, so the adapter first waits for the socket send queue to empty.',
  create({ host, port, buffered }) {
    if (buffered) throw new Error('node-statsd has no buffering');
    const client = new StatsD({ host, port });
    // node-statsd emits socket errors on its socket: keep them from crashing the benchmark
    client.socket.on('error', () => {});
    return {
      incr(name, rate) {
        if (rate === undefined) client.increment(name);
        else client.increment(name, 1, rate);
      },
      timing(name, ms, tags) {
        if (tags === undefined) client.timing(name, ms);
        else client.timing(name, ms, undefined, /** @type {string[]} */ (tags));
      },
      gauge(name, value) {
        client.gauge(name, value);
      },
      async close() {
        await dgramIdle(client.socket);
        client.close();
      },
    };
  },
};
