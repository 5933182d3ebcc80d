import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '@statskit/client';
import { afterAll, describe, expect, test } from 'vitest';
import { streamServer } from '../helpers/stream-server.js';
import { client, expectAccounted, noUnhandledErrors, sleep } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'statskit-uds-'));
let n = 0;
const socketPath = (): string => join(dir, `s${n++}.sock`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(['newline', 'length-prefix'] as const)('uds transport, %s framing', (framing) => {
  noUnhandledErrors();

  test('writes every packet in the framing the server reads', async () => {
    await using srv = await streamServer({ framing, path: socketPath() });
    const { stats, errors } = client({ protocol: 'uds', path: srv.path, udsFraming: framing });
    stats.incr('a');
    stats.set('u', 'ann', { tags: { région: 'été' } });
    await stats.flush();
    stats.gauge('g', -3);
    await stats.close();
    await srv.waitFor(() => srv.lines.length === 4);
    expect(srv.lines).toEqual(['a:1|c', 'u:ann|s|#région:été', 'g:0|g', 'g:-3|g']);
    expect(srv.errors).toEqual([]);
    if (framing === 'length-prefix') {
      // one frame per packet, each payload ending in a newline (as the Datadog clients send)
      expect(srv.frames).toEqual(['a:1|c\nu:ann|s|#région:été\n', 'g:0|g\ng:-3|g\n']);
    }
    const t = stats.telemetry();
    expect(t).toMatchObject({ packetsSent: 2, linesSent: 4, queueBytes: 0 });
    expect(t.bytesSent).toBe(
      Buffer.byteLength('a:1|c\nu:ann|s|#région:été') + Buffer.byteLength('g:0|g\ng:-3|g'),
    );
    expect(errors).toEqual([]);
  });

  test('a big packet (8 KiB default for uds) arrives whole', async () => {
    await using srv = await streamServer({ framing, path: socketPath() });
    const { stats } = client({ protocol: 'uds', path: srv.path, udsFraming: framing });
    for (let i = 0; i < 2000; i++) stats.incr('bulk', i);
    await stats.close();
    const t = stats.telemetry();
    await srv.waitFor(() => srv.lines.length === 2000);
    expect(t.bytesSent / t.packetsSent).toBeGreaterThan(7000);
    expect(srv.errors).toEqual([]);
    expectAccounted(stats);
  });

  test('no socket at start, then the server appears: queued packets are written', async () => {
    const path = socketPath();
    const { stats, codes } = client({ protocol: 'uds', path, udsFraming: framing, maxQueueBytes: 2048 });
    for (let i = 0; i < 1000; i++) stats.incr('wait', 1, { tags: { i } });
    await stats.flush();
    const t = stats.telemetry();
    expect(codes()).toContain(ErrorCodes.CONNECT); // ENOENT
    expect(t.droppedBy.queueFull).toBeGreaterThan(0);
    expect(t.queueBytes).toBeLessThanOrEqual(2048);
    const queuedLines = t.metrics - t.linesDropped;
    await using srv = await streamServer({ framing, path });
    await srv.waitFor(() => srv.lines.length === queuedLines, 5000, 'the queue after the socket appeared');
    stats.incr('more');
    await stats.close();
    await srv.waitFor(() => srv.lines.at(-1) === 'more:1|c');
    expect(srv.errors).toEqual([]);
    expectAccounted(stats);
  });

  test('the server restarts (socket file replaced): the client reconnects', async () => {
    await using srv = await streamServer({ framing, path: socketPath() });
    const { stats } = client({ protocol: 'uds', path: srv.path, udsFraming: framing, flushInterval: 5 });
    stats.incr('before');
    await stats.flush();
    await srv.waitFor(() => srv.lines.includes('before:1|c'));
    await srv.stop();
    await sleep(150);
    await srv.start();
    const timer = setInterval(() => stats.incr('after'), 5);
    await srv.waitFor(() => srv.lines.includes('after:1|c'), 5000, 'lines after the restart');
    clearInterval(timer);
    await stats.close();
    expect(srv.accepted).toBe(2);
    expect(srv.errors).toEqual([]);
    expectAccounted(stats);
  });
});

describe('uds transport errors', () => {
  noUnhandledErrors();

  test('a path that is not a socket is reported as STATSKIT_ERR_CONNECT, never thrown', async () => {
    const { stats, errors } = client({ protocol: 'uds', path: join(dir, 'missing', 'x.sock') });
    expect(() => stats.incr('x')).not.toThrow();
    await stats.close();
    expect(errors.map((e) => e.code)).toEqual([ErrorCodes.CONNECT]);
    expect((errors[0]?.cause as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
    expect(stats.telemetry().droppedBy.closed).toBe(1);
  });

  test('the server closing the connection is noticed and the next packet reconnects', async () => {
    const path = socketPath();
    const seen: string[] = [];
    let accepted = 0;
    const srv = net.createServer((s) => {
      accepted++;
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        seen.push(...d.split('\n').filter(Boolean));
        s.end(); // hang up after every read
      });
    });
    await new Promise<void>((resolve) => srv.listen(path, resolve));
    const { stats } = client({ protocol: 'uds', path });
    stats.incr('one');
    await stats.flush();
    await sleep(200); // the 'end' arrives; the transport goes back to idle after its backoff
    stats.incr('two');
    await stats.close();
    await sleep(50);
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    expect(seen).toEqual(['one:1|c', 'two:1|c']);
    expect(accepted).toBe(2);
    expectAccounted(stats);
  });
});
