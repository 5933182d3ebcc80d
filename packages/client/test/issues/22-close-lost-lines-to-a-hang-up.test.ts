/**
 * Regression (issue 22 item 6): close() against a TCP server that accepts the connection and hangs up
 * without reading lost everything silently — 50 lines over TCP (300 in carbon mode) were counted as
 * sent, nothing went to onError, the server read nothing. docs/transports.md's rule (what is written on
 * a connection closed within 1 s of connecting is dropped, counted and reported) must hold for the final
 * flush too — and after a reset (the server closed with them unread) close() sends them once more on a
 * new connection, so a server that did that only once gets them all. Real loopback sockets; a healthy server must see every line and no error.
 */
import net from 'node:net';
import { StatsClient, type StatsError } from '@statskit/client';
import { describe, expect, test } from 'vitest';

interface Server extends AsyncDisposable {
  readonly port: number;
  readonly received: () => string;
  readonly accepted: () => number;
}

/**
 * `mode`: 'hangup' destroys each connection unread (at once, or after `delay` ms); 'read' keeps every
 * byte; 'hangup-once' resets the first connection and reads the others.
 */
async function server(mode: 'hangup' | 'read' | 'hangup-once', delay = 0): Promise<Server> {
  let received = '';
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const srv = net.createServer({ pauseOnConnect: true }, (s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    // a reset once the lines are in its buffer, unread
    if (mode === 'hangup-once' && accepted === 1) setTimeout(() => s.resetAndDestroy(), 20);
    else if (mode === 'read' || mode === 'hangup-once') {
      s.setEncoding('utf8');
      s.resume();
      s.on('data', (d: string) => {
        received += d;
      });
    } else if (delay === 0) s.destroy();
    else setTimeout(() => s.destroy(), delay);
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    port: (srv.address() as net.AddressInfo).port,
    received: () => received,
    accepted: () => accepted,
    async [Symbol.asyncDispose]() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

const modes = [
  { name: 'statsd over TCP, 50 lines', carbon: false, lines: 50 },
  { name: 'carbon, 50 counters (300 lines)', carbon: true, lines: 300 },
] as const;

describe.each(modes)('$name', ({ carbon, lines }) => {
  function client(port: number, errors: StatsError[]): StatsClient {
    return new StatsClient({
      ...(carbon ? { carbon: { port, protocol: 'tcp' as const } } : { protocol: 'tcp' as const, port }),
      host: '127.0.0.1',
      onError: (e) => errors.push(e),
      onErrorInterval: 0,
    });
  }
  function send(stats: StatsClient): void {
    for (let i = 0; i < 50; i++) stats.incr(`c${i}`);
  }

  test.each([0, 20])(
    'a server that accepts and hangs up (after %i ms): every line counted as dropped and reported',
    async (delay) => {
      await using srv = await server('hangup', delay);
      const errors: StatsError[] = [];
      const stats = client(srv.port, errors);
      send(stats);
      await stats.close();
      const t = stats.telemetry();
      expect(srv.accepted()).toBeGreaterThan(0);
      expect(t.linesSent).toBe(0);
      expect(t.linesDropped).toBe(lines);
      expect(t.droppedBy.sendError + t.droppedBy.closed).toBe(lines);
      expect(errors.map((e) => e.code)).toContain('STATSKIT_ERR_SOCKET');
      expect(t.linesSent + t.linesDropped).toBe(t.metrics);
    },
  );

  test('a server that resets the first connection only: close() sends again, every line arrives', async () => {
    await using srv = await server('hangup-once');
    const errors: StatsError[] = [];
    const stats = client(srv.port, errors);
    send(stats);
    await stats.close();
    const t = stats.telemetry();
    expect(errors).toEqual([]);
    expect(srv.accepted()).toBe(2);
    expect(t.linesSent).toBe(lines);
    expect(t.linesDropped).toBe(0);
    expect(t.linesSent + t.linesDropped).toBe(t.metrics);
    await new Promise((r) => setTimeout(r, 50));
    expect(
      srv
        .received()
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(lines);
  });

  test('a server that reads: every line arrives, counted as sent, no error', async () => {
    await using srv = await server('read');
    const errors: StatsError[] = [];
    const stats = client(srv.port, errors);
    send(stats);
    await stats.close();
    const t = stats.telemetry();
    expect(errors).toEqual([]);
    expect(t.linesSent).toBe(lines);
    expect(t.linesDropped).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(
      srv
        .received()
        .split('\n')
        .filter((l) => l !== ''),
    ).toHaveLength(lines);
  });
});
