import StatsD from 'hot-shots';

/** @type {import('./index.mjs').Adapter} */
export default {
  name: 'hot-shots',
  pkg: 'hot-shots',
  buffered: true,
  aggregated: true,
  tags: 'object',
  sampling: true,
  notes:
    'buffered: `maxBufferSize: 1432, bufferFlushInterval: 100`; unbuffered: `maxBufferSize: 0`; ' +
    'aggregated: buffered plus `aggregation: { flushInterval: 1000 }` (counts, gauges, sets; not timings). ' +
    'Datadog env detection, DD_* tags and telemetry off so the environment cannot change the work. ' +
    '`close(cb)` flushes the buffer, waits for in-flight sends (up to 11 × `closingFlushInterval`), then closes.',
  create({ host, port, buffered, aggregated }) {
    const client = new StatsD({
      host,
      port,
      maxBufferSize: buffered ? 1432 : 0,
      ...(aggregated ? { aggregation: { flushInterval: 1000 } } : {}),
      bufferFlushInterval: 100,
      datadog: false,
      includeDataDogTags: false,
      includeDatadogTelemetry: false,
      // unbuffered runs can leave thousands of sends in flight at close(): give them time to drain
      closingFlushInterval: 200,
      errorHandler: () => {},
    });
    return {
      incr(name, rate) {
        if (rate === undefined) client.increment(name);
        else client.increment(name, 1, rate);
      },
      timing(name, ms, tags) {
        if (tags === undefined) client.timing(name, ms);
        else client.timing(name, ms, /** @type {Record<string, string>} */ (tags));
      },
      gauge(name, value) {
        client.gauge(name, value);
      },
      close: () =>
        new Promise((resolve) => {
          client.close(() => resolve());
        }),
    };
  },
};
