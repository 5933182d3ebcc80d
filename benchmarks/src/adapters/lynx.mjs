import Lynx from 'lynx';
import { dgramIdle } from '../lib/dgram-idle.mjs';

/** @type {import('./index.mjs').Adapter} */
export default {
  name: 'lynx',
  pkg: 'lynx',
  buffered: false,
  aggregated: false,
  tags: null,
  sampling: true,
  notes:
    'No buffering (buffered rows N/A) and no tags (the tagged workloads send names only). A sampled-out ' +
    'call is reported to `on_error` as "Nothing to send" (emitted as an `error` event by default, which ' +
    'would throw): the adapter passes a no-op `on_error`. `close()` closes the socket at once, so the ' +
    'adapter first waits for its send queue to empty.',
  create({ host, port, buffered }) {
    if (buffered) throw new Error('lynx has no buffering');
    const client = new Lynx(host, port, { on_error: () => {} });
    return {
      incr(name, rate) {
        if (rate === undefined) client.increment(name);
        else client.increment(name, rate);
      },
      timing(name, ms) {
        client.timing(name, ms);
      },
      gauge(name, value) {
        client.gauge(name, value);
      },
      async close() {
        await dgramIdle(client.ephemeral_socket);
        client.close();
      },
    };
  },
};
