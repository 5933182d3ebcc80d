/**
 * Regression (issue 24, item 3): `host: '127.0.0.1:8125'` and `host: 'udp://127.0.0.1:8125'` (the forms
 * dats and DD_DOGSTATSD_URL use) were accepted and failed at the first send with `getaddrinfo ENOTFOUND`.
 * Now the URL forms set the protocol, port or socket path; a conflicting explicit option and a form
 * that cannot work are refused at construction with the fix.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientOptions, InvalidOptionError, StatsClient, type StatsError } from '@statskit/client';
import { afterAll, describe, expect, test } from 'vitest';
import { thrownBy } from '../helpers/client.js';
import { streamServer } from '../helpers/stream-server.js';
import { udpReceiver } from '../helpers/udp-receiver.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-24-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function sendOne(options: ClientOptions): Promise<StatsError[]> {
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    ...options,
    batching: false,
    aggregate: false,
    onError: (e) => errors.push(e),
  });
  stats.incr('hello');
  await stats.close();
  return errors;
}

describe('host URL forms reach the server', () => {
  test("host: '127.0.0.1:<port>' (dats' style)", async () => {
    await using rx = await udpReceiver();
    expect(await sendOne({ host: `127.0.0.1:${rx.port}` })).toEqual([]);
    await rx.waitForLines(1);
    expect(rx.lines).toEqual(['hello:1|c']);
  });

  test("host: 'udp://127.0.0.1:<port>', and the same port given again as `port`", async () => {
    await using rx = await udpReceiver();
    expect(await sendOne({ host: `udp://127.0.0.1:${rx.port}` })).toEqual([]);
    expect(await sendOne({ host: `udp://127.0.0.1:${rx.port}`, port: rx.port, protocol: 'udp' })).toEqual([]);
    await rx.waitForLines(2);
    expect(rx.lines).toEqual(['hello:1|c', 'hello:1|c']);
  });

  test("host: 'udp://[::1]:<port>' and '[::1]:<port>'", async () => {
    await using rx = await udpReceiver('udp6');
    expect(await sendOne({ host: `udp://[::1]:${rx.port}` })).toEqual([]);
    expect(await sendOne({ host: `[::1]:${rx.port}` })).toEqual([]);
    await rx.waitForLines(2);
    expect(rx.lines).toEqual(['hello:1|c', 'hello:1|c']);
  });

  test("host: 'tcp://127.0.0.1:<port>' sends over TCP", async () => {
    await using server = await streamServer();
    expect(await sendOne({ host: `tcp://127.0.0.1:${server.port}` })).toEqual([]);
    await server.waitFor(() => server.lines.length >= 1);
    expect(server.lines).toEqual(['hello:1|c']);
  });

  test("host: 'unix:///path' sends over the unix stream socket", async () => {
    const path = join(dir, 'statsd.sock');
    await using server = await streamServer({ path });
    expect(await sendOne({ host: `unix://${path}` })).toEqual([]);
    await server.waitFor(() => server.lines.length >= 1);
    expect(server.lines).toEqual(['hello:1|c']);
  });

  test('a plain IPv6 address is still a host, not host:port', () => {
    const noopClient = new StatsClient({ host: '::1', protocol: 'udp' });
    expect(noopClient.closed).toBe(false);
    void noopClient.close();
  });
});

describe('refused at construction, with the fix', () => {
  const message = (options: ClientOptions): string => {
    const err = thrownBy(() => new StatsClient(options));
    expect(err).toBeInstanceOf(InvalidOptionError);
    return (err as Error).message;
  };

  test('a URL port that disagrees with `port`', () => {
    expect(message({ host: 'udp://127.0.0.1:8125', port: 9125 })).toBe(
      'statskit: host "udp://127.0.0.1:8125" has port 8125 but port is 9125; remove one of them',
    );
    expect(message({ host: '127.0.0.1:8125', port: '9125' })).toContain('remove one of them');
  });

  test('a URL scheme that disagrees with `protocol`', () => {
    expect(message({ host: 'tcp://127.0.0.1:8125', protocol: 'udp' })).toBe(
      `statskit: host "tcp://127.0.0.1:8125" means protocol 'tcp' but protocol is "udp"; remove one of them`,
    );
    expect(message({ host: 'unix:///tmp/x.sock', protocol: 'tcp' })).toContain("means protocol 'uds'");
    expect(message({ host: 'unix:///tmp/x.sock', path: '/tmp/y.sock' })).toContain('remove one of them');
  });

  test('schemes that cannot work, and paths after host:port', () => {
    expect(message({ host: 'http://127.0.0.1:8125' })).toContain('unsupported scheme http');
    expect(message({ host: 'http://127.0.0.1:8125' })).toContain("host: '127.0.0.1', port: 8125");
    expect(message({ host: 'unixgram:///tmp/x.sock' })).toContain('unix datagram socket');
    expect(message({ host: 'udp://127.0.0.1:8125/metrics' })).toContain('only a host and a port');
    expect(message({ host: 'udp://127.0.0.1:99999' })).toContain('not a valid host:port');
  });

  test('STATSD_HOST with a scheme says to use STATSD_HOST and STATSD_PORT', () => {
    expect(message({ env: { STATSD_HOST: 'udp://10.0.0.1:8125' } })).toContain(
      'set STATSD_HOST=host and STATSD_PORT=port',
    );
    expect(message({ env: { STATSD_HOST: '10.0.0.1:8125' } })).toContain(
      'set STATSD_HOST=host and STATSD_PORT=port',
    );
    expect(new StatsClient({ env: { STATSD_HOST: '::1' } }).closed).toBe(false); // IPv6 stays a host
  });
});
