/**
 * A statsd stream server stand-in for transport tests: a `net` server on a loopback TCP port or a unix
 * socket path that records lines, in either framing (`newline`, or the Datadog Agent's 4-byte
 * little-endian length prefix). It can stop reading (to build backpressure), drop its connections, stop
 * listening and listen again on the same port or path (a restart).
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import { waitUntil } from './statsd-daemon.js';

export type Framing = 'newline' | 'length-prefix';

export interface StreamServerOptions {
  readonly framing?: Framing;
  /** Listen on this unix socket path instead of a TCP port. */
  readonly path?: string;
  /** Listen on this TCP port (default: a free one). */
  readonly port?: number;
  /** Never read from accepted connections (the kernel buffers fill, then the client's writes back up). */
  readonly paused?: boolean;
}

export interface StreamServer extends AsyncDisposable {
  readonly port: number;
  readonly path: string | undefined;
  /** Every complete line received, in order. */
  readonly lines: string[];
  /** Length-prefixed frames received (their payloads), in order. */
  readonly frames: string[];
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Bytes received so far. */
  readonly bytes: number;
  /** Framing errors (a frame length that is not followed by a newline-terminated payload). */
  readonly errors: string[];
  /** Wait until `predicate` holds. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>;
  /** Start reading again on every connection. */
  resume(): void;
  /** Destroy every open connection (the server keeps listening). */
  dropConnections(): void;
  /** Stop listening and destroy every connection. */
  stop(): Promise<void>;
  /** Listen again on the same port or path. */
  start(): Promise<void>;
}

export async function streamServer(options: StreamServerOptions = {}): Promise<StreamServer> {
  const framing = options.framing ?? 'newline';
  const lines: string[] = [];
  const frames: string[] = [];
  const errors: string[] = [];
  const sockets = new Set<net.Socket>();
  let paused = options.paused ?? false;
  let accepted = 0;
  let bytes = 0;
  let server: net.Server | undefined;
  let port = options.port ?? 0;
  const path = options.path;

  const onConnection = (sock: net.Socket): void => {
    accepted++;
    // pause before the 'data' listener is added, or adding it would start the flow
    if (paused) sock.pause();
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => {});
    let text = '';
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (framing === 'newline') {
        text += chunk.toString('utf8');
        const end = text.lastIndexOf('\n');
        if (end === -1) return;
        for (const line of text.slice(0, end).split('\n')) if (line !== '') lines.push(line);
        text = text.slice(end + 1);
        return;
      }
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        const n = buf.readUInt32LE(0);
        if (buf.length < 4 + n) break;
        const payload = buf.subarray(4, 4 + n).toString('utf8');
        buf = buf.subarray(4 + n);
        frames.push(payload);
        if (!payload.endsWith('\n'))
          errors.push(`frame without a trailing newline: ${JSON.stringify(payload)}`);
        for (const line of payload.split('\n')) if (line !== '') lines.push(line);
      }
    });
  };

  const start = async (): Promise<void> => {
    if (path !== undefined) rmSync(path, { force: true });
    const srv = net.createServer({ pauseOnConnect: paused }, onConnection);
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      if (path !== undefined) srv.listen(path, resolve);
      else srv.listen(port, '127.0.0.1', resolve);
    });
    if (path === undefined) port = (srv.address() as net.AddressInfo).port;
    server = srv;
  };

  const stop = async (): Promise<void> => {
    const srv = server;
    server = undefined;
    for (const s of sockets) s.destroy();
    sockets.clear();
    if (srv !== undefined) await new Promise<void>((resolve) => srv.close(() => resolve()));
    if (path !== undefined) rmSync(path, { force: true });
  };

  await start();

  return {
    get port() {
      return port;
    },
    path,
    lines,
    frames,
    errors,
    get accepted() {
      return accepted;
    },
    get bytes() {
      return bytes;
    },
    waitFor: (predicate, timeoutMs = 5000, what = 'the stream server') =>
      waitUntil(predicate, timeoutMs, what),
    resume() {
      paused = false;
      for (const s of sockets) s.resume();
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    stop,
    start,
    [Symbol.asyncDispose]: stop,
  };
}
