import datsModule from '@immobiliarelabs/dats';

// dats is CommonJS with `exports.default = Client`.
const Dats = datsModule.default ?? datsModule;

/** @type {import('./index.mjs').Adapter} */
export default {
  name: 'dats',
  pkg: '@immobiliarelabs/dats',
  buffered: true,
  aggregated: false,
  tags: null,
  sampling: false,
  notes:
    'buffered: `bufferSize: 1432, bufferFlushTimeout: 100`; unbuffered: `bufferSize: 0`. ' +
    'Tags are global only (no per-call tags): the tagged workloads send names only. ' +
    'The sampling argument is only written as `|@rate`; dats sends every call. ' +
    '`close()` waits for in-flight sends but does not flush the buffer, so the adapter calls the ' +
    '(TypeScript-protected) `flush()` first; without it the last partial packet is lost.',
  create({ host, port, buffered }) {
    const client = new Dats({
      host: `udp://${host}:${port}`,
      bufferSize: buffered ? 1432 : 0,
      bufferFlushTimeout: 100,
      onError: () => {},
    });
    return {
      incr(name, rate) {
        if (rate === undefined) client.counter(name);
        else client.counter(name, 1, rate);
      },
      timing(name, ms) {
        client.timing(name, ms);
      },
      gauge(name, value) {
        client.gauge(name, value);
      },
      async close() {
        if (buffered) client.flush();
        await client.close();
      },
    };
  },
};
