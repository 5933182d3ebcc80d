/**
 * Where the client sends, from options and the environment: explicit option > STATSD_* > DD_* > default.
 * DD_* are read only for what is left open, so a DD_* value meant for another library never breaks a
 * client configured explicitly.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionError } from '@statskit/client';
import { describe, expect, test } from 'vitest';
import { resolveOptions } from '../../src/options.js';
import { streamServer } from '../helpers/stream-server.js';
import { client, noUnhandledErrors } from './helpers.js';

const dest = (env: Record<string, string>, opts: Parameters<typeof resolveOptions>[0] = {}) => {
  const o = resolveOptions({ ...opts, env });
  return { protocol: o.protocol, host: o.host, port: o.port, path: o.path, udsFraming: o.udsFraming };
};

describe('DD_* environment', () => {
  test('DD_AGENT_HOST and DD_DOGSTATSD_PORT', () => {
    expect(dest({ DD_AGENT_HOST: '10.0.0.7', DD_DOGSTATSD_PORT: '8135' })).toMatchObject({
      protocol: 'udp',
      host: '10.0.0.7',
      port: 8135,
    });
  });

  test('precedence: explicit option > STATSD_* > DD_* > default', () => {
    const env = { DD_AGENT_HOST: 'dd-host', DD_DOGSTATSD_PORT: '9000', STATSD_HOST: 'statsd-host' };
    expect(dest(env)).toMatchObject({ host: 'statsd-host', port: 9000 });
    expect(dest({ ...env, STATSD_PORT: '9100' })).toMatchObject({ host: 'statsd-host', port: 9100 });
    expect(dest(env, { host: 'explicit', port: 9200 })).toMatchObject({ host: 'explicit', port: 9200 });
    expect(dest({})).toMatchObject({ protocol: 'udp', host: '127.0.0.1', port: 8125 });
  });

  test('DD_DOGSTATSD_URL udp://host:port wins over DD_AGENT_HOST/DD_DOGSTATSD_PORT', () => {
    const env = {
      DD_AGENT_HOST: 'other',
      DD_DOGSTATSD_PORT: '1',
      DD_DOGSTATSD_URL: 'udp://agent.local:8127',
    };
    expect(dest(env)).toMatchObject({ protocol: 'udp', host: 'agent.local', port: 8127 });
    expect(dest({ DD_DOGSTATSD_URL: 'udp://[::1]:8126' })).toMatchObject({ host: '::1', port: 8126 });
    expect(dest({ DD_DOGSTATSD_URL: 'udp://agent', DD_DOGSTATSD_PORT: '8129' })).toMatchObject({
      host: 'agent',
      port: 8129,
    });
  });

  test('DD_DOGSTATSD_URL unix:// or unixstream:// selects uds with the length prefix, unless configured otherwise', () => {
    for (const url of [
      'unix:///var/run/datadog/dsd.stream.sock',
      'unixstream:///var/run/datadog/dsd.stream.sock',
    ]) {
      expect(dest({ DD_DOGSTATSD_URL: url })).toEqual({
        protocol: 'uds',
        host: '127.0.0.1',
        port: 8125,
        path: '/var/run/datadog/dsd.stream.sock',
        udsFraming: 'length-prefix',
      });
    }
    const env = { DD_DOGSTATSD_URL: 'unix:///tmp/dsd.sock' };
    expect(dest(env, { udsFraming: 'newline' })).toMatchObject({ protocol: 'uds', udsFraming: 'newline' });
    expect(dest(env, { protocol: 'uds' })).toMatchObject({
      path: '/tmp/dsd.sock',
      udsFraming: 'length-prefix',
    });
    // A destination given any other way wins: the socket path is not used.
    expect(dest(env, { host: 'h' })).toMatchObject({ protocol: 'udp', host: 'h', path: undefined });
    expect(dest(env, { protocol: 'tcp' })).toMatchObject({ protocol: 'tcp', path: undefined });
    expect(dest({ ...env, STATSD_HOST: 's' })).toMatchObject({ protocol: 'udp', host: 's' });
    // An explicit path keeps the default framing.
    expect(dest(env, { protocol: 'uds', path: '/x.sock' })).toMatchObject({
      path: '/x.sock',
      udsFraming: 'newline',
    });
  });

  test('bad values throw InvalidOptionError at construction', () => {
    const bad = [
      { DD_DOGSTATSD_PORT: 'abc' },
      { DD_DOGSTATSD_PORT: '70000' },
      { DD_DOGSTATSD_URL: 'http://agent:8125' },
      { DD_DOGSTATSD_URL: 'agent:8125' },
      { DD_DOGSTATSD_URL: 'udp://agent:99999' },
      { DD_DOGSTATSD_URL: 'udp://:8125' },
      { DD_DOGSTATSD_URL: 'unix://' },
      { DD_DOGSTATSD_URL: 'unixgram:///var/run/datadog/dsd.socket' },
    ];
    for (const env of bad)
      expect(() => resolveOptions({ env }), JSON.stringify(env)).toThrow(InvalidOptionError);
    expect(() => resolveOptions({ env: { DD_DOGSTATSD_URL: 'unixgram:///x' } })).toThrow(/datagram/);
  });

  test('a bad DD_* value is not read when options or STATSD_* already decide', () => {
    const env = { DD_DOGSTATSD_PORT: 'abc', DD_DOGSTATSD_URL: 'unixgram:///x' };
    expect(dest(env, { host: 'h', port: 1 })).toMatchObject({ host: 'h', port: 1 });
    expect(dest({ ...env, STATSD_HOST: 'h', STATSD_PORT: '2' })).toMatchObject({ host: 'h', port: 2 });
    expect(dest(env, { protocol: 'uds', path: '/p.sock' })).toMatchObject({ path: '/p.sock' });
  });

  test('the new options are validated', () => {
    expect(() => resolveOptions({ udsFraming: 'crlf' as never })).toThrow(InvalidOptionError);
    expect(() => resolveOptions({ telemetryInterval: -1 })).toThrow(InvalidOptionError);
    expect(() => resolveOptions({ telemetryInterval: Number.NaN })).toThrow(InvalidOptionError);
    expect(() => resolveOptions({ transport: { write: 1 } as never })).toThrow(InvalidOptionError);
    expect(resolveOptions({}).telemetryInterval).toBe(0);
    expect(resolveOptions({ protocol: 'uds', path: '/x' }).maxPacketSize).toBe(8192);
    expect(resolveOptions({ env: { DD_DOGSTATSD_URL: 'unix:///x' } }).maxPacketSize).toBe(8192);
  });
});

describe('DD_DOGSTATSD_URL end to end', () => {
  noUnhandledErrors();

  test('unix:///path sends length-prefixed packets to that socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'statskit-env-'));
    try {
      await using srv = await streamServer({ framing: 'length-prefix', path: join(dir, 'dsd.sock') });
      const { stats, errors } = client({ env: { DD_DOGSTATSD_URL: `unix://${srv.path}` } });
      stats.incr('via.env');
      await stats.close();
      await srv.waitFor(() => srv.lines.length === 1);
      expect(srv.frames).toEqual(['via.env:1|c\n']);
      expect(errors).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
