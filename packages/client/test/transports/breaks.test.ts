/**
 * Connections that break (issue 12, item 22): every break is reported once, and what was written on a
 * connection the server closed before it was confirmed is counted as dropped, never as sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '@statskit/client';
import { afterAll, describe, expect, test } from 'vitest';
import { freePort, waitUntil } from '../helpers/statsd-daemon.js';
import { streamServer } from '../helpers/stream-server.js';
import { client, expectAccounted, noUnhandledErrors } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-breaks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('connection breaks', () => {
  noUnhandledErrors();

  test('uds: a server killed 5 times gives 5 STATSKIT_ERR_SOCKET errors, one per break', async () => {
    const path = join(dir, 'killed.sock');
    await using srv = await streamServer({ path });
    const { stats, errors } = client({ protocol: 'uds', path });
    const breaks = (): number => errors.filter((e) => e.code === ErrorCodes.SOCKET).length;
    for (let round = 0; round < 5; round++) {
      stats.incr('round', 1, { tags: { round } });
      await stats.flush();
      await srv.waitFor(() => srv.lines.includes(`round:1|c|#round:${round}`), 5000, `round ${round}`);
      await srv.stop(); // every connection destroyed, the socket file removed: the server is gone
      await waitUntil(() => breaks() === round + 1, 3000, `the report of break ${round + 1}`);
      await srv.start();
    }
    await stats.close();
    expect(srv.accepted).toBe(5);
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill(ErrorCodes.SOCKET));
    expect(errors[0]?.message).toMatch(/unix socket .* was closed by the other end/);
    expectAccounted(stats);
  });

  test('tcp: a server that accepts and destroys every connection — each break reported, nothing counted as sent; a healthy server then gets what follows', async () => {
    const port = await freePort();
    let accepted = 0;
    const rude = net.createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => rude.listen(port, '127.0.0.1', resolve));
    const { stats, errors } = client({ protocol: 'tcp', host: '127.0.0.1', port, flushInterval: 5 });
    const breaks = (): number => errors.filter((e) => e.code === ErrorCodes.SOCKET).length;
    const timer = setInterval(() => stats.incr('rude'), 10);
    await waitUntil(() => accepted >= 5, 10_000, 'five connections');
    clearInterval(timer);
    // The last lines go out on one more connection, which breaks too.
    await waitUntil(
      () => stats.telemetry().queueBytes === 0 && breaks() === accepted,
      5000,
      'every connection to be reported',
    );
    const t = stats.telemetry();
    expect(errors.every((e) => e.code === ErrorCodes.SOCKET)).toBe(true);
    expect(t.linesSent).toBe(0); // the server never read a byte
    expect(t.packetsSent).toBe(0);
    expect(t.droppedBy.sendError).toBe(t.metrics);
    expect(t.linesDropped).toBe(t.metrics);
    await new Promise<void>((resolve) => rude.close(() => resolve()));

    await using srv = await streamServer({ port }); // a healthy server on the same port
    stats.incr('healthy');
    await stats.close();
    await srv.waitFor(() => srv.lines.length === 1);
    expect(srv.lines).toEqual(['healthy:1|c']);
    expect(stats.telemetry().linesSent).toBe(1);
    expectAccounted(stats);
  });
});
