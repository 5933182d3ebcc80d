/**
 * closeOnSignal (issue 12, item 7): the order (stop accepting → in-flight requests finish → stats
 * closed), the timeout, the signal listeners. The real-process test (SIGTERM, exit, metrics over UDP)
 * is in examples/*\/test/shutdown.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidOptionError } from '@statskit/client';
import { type ClosableServer, closeOnSignal } from '@statskit/instrument';
import { describe, expect, it } from 'vitest';

describe('closeOnSignal', () => {
  it('closes the server, waits for the in-flight request, then closes the stats', async () => {
    const events: string[] = [];
    let finishRequest: (() => void) | undefined;
    const server = createServer((_req, res) => {
      events.push('request');
      res.writeHead(200).write('a');
      finishRequest = () => {
        events.push('response end');
        res.end('b');
      };
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const stats = { close: async () => void events.push('stats closed') };
    const shutdown = closeOnSignal(server, stats, { signals: ['SIGUSR2'], exit: false });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      process.emit('SIGUSR2', 'SIGUSR2');
      expect(process.listenerCount('SIGUSR2')).toBe(0); // removed on the first signal
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events).toEqual(['request']); // still waiting for the request
      await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow(); // not accepting
      finishRequest?.();
      expect(await res.text()).toBe('ab');
      await shutdown.close(); // the same shutdown, already under way
      expect(events).toEqual(['request', 'response end', 'stats closed']);
      expect(server.listening).toBe(false);
    } finally {
      shutdown.remove();
      server.closeAllConnections();
      server.close();
    }
  });

  it('after `timeout` closes the connections left and goes on', async () => {
    const events: string[] = [];
    const server: ClosableServer = {
      close: () => events.push('close'), // never calls back: a request that never ends
      closeAllConnections: () => events.push('closeAllConnections'),
    };
    const shutdown = closeOnSignal(server, { close: async () => void events.push('stats') }, { timeout: 20 });
    await shutdown.close();
    shutdown.remove();
    expect(events).toEqual(['close', 'closeAllConnections', 'stats']);
  });

  it('reports errors to onError and still closes the stats', async () => {
    const errors: unknown[] = [];
    let closed = false;
    const shutdown = closeOnSignal(
      { close: (cb: (err?: Error) => void) => cb(new Error('close failed')) },
      {
        close: async () => {
          closed = true;
          throw new Error('stats failed');
        },
      },
      { onError: (err) => errors.push(err), signals: ['SIGUSR2'] },
    );
    await shutdown.close();
    shutdown.remove();
    expect(closed).toBe(true);
    expect(errors.map((e) => (e as Error).message)).toEqual(['close failed', 'stats failed']);
  });

  it('checks its arguments', () => {
    const server: ClosableServer = { close: () => undefined };
    const bad: [unknown, unknown, unknown][] = [
      [{}, undefined, {}],
      [server, {}, {}],
      [server, undefined, { signals: [] }],
      [server, undefined, { timeout: -1 }],
      [server, undefined, { exit: 'yes' }],
    ];
    for (const [s, stats, options] of bad) {
      expect(() => closeOnSignal(s as ClosableServer, stats as undefined, options as object)).toThrow(
        InvalidOptionError,
      );
    }
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
