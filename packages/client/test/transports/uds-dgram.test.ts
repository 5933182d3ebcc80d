/**
 * Unix datagram sockets (the Datadog Agent's default `dogstatsd_socket`) through the optional native
 * module unix-dgram: real datagrams when it is built, the coded error when it is not.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatsClient, type StatsError, udsDatagramTransport } from '@statskit/client';
import StatsD from '@statskit/client/hot-shots';
import { expect, test } from 'vitest';

interface DgramServer {
  bind(path: string): void;
  close(): void;
  on(event: 'message', fn: (buf: Buffer) => void): void;
}
let unix: { createSocket(type: 'unix_dgram', fn?: (buf: Buffer) => void): DgramServer } | undefined;
/** Appended to the names of the tests that need unix-dgram: why they are skipped, when they are. */
let absent = '';
try {
  unix = createRequire(import.meta.url)('unix-dgram');
} catch (err) {
  // not built (npm 11 skips dependencies' install scripts unless allowed), or built for another Node
  // ABI (.ci/test-node-versions rebuilds it for each version it runs)
  unix = undefined;
  const e = err as Error & { code?: string };
  const built = /NODE_MODULE_VERSION (\d+)\./.exec(e.message)?.[1];
  const why =
    built === undefined
      ? (e.code ?? e.message)
      : `built for ABI ${built}, this Node's is ${process.versions.modules}`;
  absent = ` [skipped: the native module unix-dgram does not load on Node ${process.versions.node}: ${why}]`;
}

async function server(): Promise<{ path: string; got: string[]; close(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'statskit-dgram-'));
  const path = join(dir, 'dsd.socket');
  const got: string[] = [];
  const s = (unix as NonNullable<typeof unix>).createSocket('unix_dgram', (buf) => got.push(buf.toString()));
  s.bind(path);
  return {
    path,
    got,
    close() {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

test.skipIf(unix === undefined)(
  `hot-shots protocol uds: one datagram per packet on a unix datagram socket${absent}`,
  async () => {
    const srv = await server();
    try {
      const c = new StatsD({ protocol: 'uds', path: srv.path, includeDataDogTags: false });
      c.increment('uds.hit', 1, ['a:b']);
      c.gauge('uds.g', 3);
      await new Promise<void>((resolve) => c.close(() => resolve()));
      await until(() => srv.got.length > 0);
      expect(srv.got).toEqual(['uds.hit:1|c|#a:b\nuds.g:3|g']);
    } finally {
      srv.close();
    }
  },
);

test.skipIf(unix === undefined)(
  `the main client sends to a unix datagram socket with udsDatagramTransport()${absent}`,
  async () => {
    const srv = await server();
    try {
      const stats = new StatsClient({
        transport: udsDatagramTransport({ path: srv.path }),
        maxPacketSize: 8192,
      });
      stats.incr('main.hit');
      await stats.close();
      await until(() => srv.got.length > 0);
      expect(srv.got).toEqual(['main.hit:1|c']);
      expect(stats.telemetry().packetsSent).toBe(1);
    } finally {
      srv.close();
    }
  },
);

test('without unix-dgram: one STATSKIT_ERR_UNIX_DGRAM_UNAVAILABLE, packets dropped and counted, nothing thrown', async () => {
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    transport: udsDatagramTransport({
      path: '/tmp/statskit-none.sock',
      load: () => Promise.reject(new Error("Cannot find module 'unix-dgram'")),
    }),
    onError: (e) => errors.push(e),
  });
  stats.incr('a');
  await stats.flush();
  stats.incr('b');
  await stats.close();
  expect(errors.map((e) => e.code)).toEqual(['STATSKIT_ERR_UNIX_DGRAM_UNAVAILABLE']);
  expect(errors[0]?.message).toMatch(/npm install unix-dgram/);
  expect(stats.telemetry().droppedBy.sendError).toBe(2);
  expect(stats.telemetry().packetsSent).toBe(0);
});
