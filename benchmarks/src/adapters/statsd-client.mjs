import { setTimeout as sleep } from 'node:timers/promises';
import SDC from 'statsd-client';
import { dgramIdle } from '../lib/dgram-idle.mjs';

/** @type {import('./index.mjs').Adapter} */
export default {
  name: 'statsd-client',
  pkg: 'statsd-client',
  buffered: true,
  aggregated: false,
  tags: 'object',
  sampling: false,
  notes:
    'buffered: `maxBufferSize: 1432` (counted in characters and without the newlines, so a packet can ' +
    'exceed it by one byte per line), flushed by its `socketTimeout` interval (100 ms here); ' +
    'unbuffered: `maxBufferSize: 0`. No sample rates: the sampled workload is N/A. ' +
    '`close()` flushes the buffer and closes the socket on a 10 ms timer without waiting for sends; ' +
    'the adapter waits for the socket send queue to empty, calls close(), then waits for the socket to go.',
  create({ host, port, buffered }) {
    const client = new SDC({
      host,
      port,
      maxBufferSize: buffered ? 1432 : 0,
      socketTimeout: 100,
    });
    /** The EphemeralSocket wrapper and its dgram socket (internal; only read to know when it is idle). */
    const eph = client._socket;
    return {
      incr(name) {
        client.increment(name);
      },
      timing(name, ms, tags) {
        client.timing(name, ms, tags);
      },
      gauge(name, value) {
        client.gauge(name, value);
      },
      async close() {
        if (buffered) eph._flushBuffer();
        await dgramIdle(eph._socket);
        client.close();
        // its kill() runs on a 10 ms timer; wait for it (bounded)
        for (let i = 0; i < 400 && eph._socket !== undefined; i++) await sleep(5);
      },
    };
  },
};
