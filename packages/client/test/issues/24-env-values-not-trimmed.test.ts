/**
 * Regression (issue 24, item 10): `STATSD_PORT=' 8125'` (a stray space from a compose file or `.env`)
 * threw in the constructor, and a stray space in `STATSD_HOST`, `STATSD_PREFIX` or the `DD_*` variables
 * ended up in the host looked up, in every metric name or in the tags.
 */
import { StatsClient, type StatsError } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { udpReceiver } from '../helpers/udp-receiver.js';

describe('environment values are trimmed', () => {
  test("STATSD_HOST=' 127.0.0.1 ', STATSD_PORT=' <port>\\n', STATSD_PREFIX=' app ': metrics arrive as app.x", async () => {
    await using rx = await udpReceiver();
    const errors: StatsError[] = [];
    const stats = new StatsClient({
      env: { STATSD_HOST: ` ${rx.address} `, STATSD_PORT: ` ${rx.port}\n`, STATSD_PREFIX: ' app ' },
      batching: false,
      aggregate: false,
      onError: (e) => errors.push(e),
    });
    stats.incr('x');
    await rx.waitForLines(1);
    await stats.close();
    expect(rx.lines).toEqual(['app.x:1|c']);
    expect(errors).toEqual([]);
  });

  test('DD_AGENT_HOST, DD_DOGSTATSD_PORT and the unified service tags, with spaces around them', async () => {
    await using rx = await udpReceiver();
    const stats = new StatsClient({
      env: {
        DD_AGENT_HOST: `\t${rx.address} `,
        DD_DOGSTATSD_PORT: ` ${rx.port} `,
        DD_ENV: ' prod ',
        DD_SERVICE: ' api',
      },
      batching: false,
      aggregate: false,
    });
    stats.incr('x');
    await rx.waitForLines(1);
    await stats.close();
    expect(rx.lines).toEqual(['x:1|c|#env:prod,service:api']);
  });

  test("DD_DOGSTATSD_URL=' udp://127.0.0.1:<port> '", async () => {
    await using rx = await udpReceiver();
    const stats = new StatsClient({
      env: { DD_DOGSTATSD_URL: ` udp://${rx.address}:${rx.port} ` },
      batching: false,
      aggregate: false,
    });
    stats.incr('x');
    await rx.waitForLines(1);
    await stats.close();
    expect(rx.lines).toEqual(['x:1|c']);
  });

  test('a blank STATSD_PORT is as if unset; a value that is still wrong after trimming is refused', () => {
    const noop = { send() {}, flush: async () => {}, close: async () => {} };
    expect(new StatsClient({ transport: noop, env: { STATSD_PORT: '  ' } }).closed).toBe(false);
    expect(() => new StatsClient({ transport: noop, env: { STATSD_PORT: ' 81 25 ' } })).toThrow(
      /STATSD_PORT must be a port number/,
    );
  });
});
