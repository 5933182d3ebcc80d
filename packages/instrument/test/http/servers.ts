/**
 * Disposable loopback HTTP servers for the outbound-HTTP tests (127.0.0.1, port 0):
 *   /ok           200, JSON body, a custom header
 *   /status/:code that status, a short body
 *   /slow         headers and a first chunk at once, the rest 250 ms later (the body takes ≥ 200 ms)
 *   /reset        the socket is destroyed before any response
 *   /midreset     headers and a chunk, then the socket is destroyed mid-body
 *   /hang         never answers (for aborts and timeouts)
 * plus a port that refuses connections.
 */
import http from 'node:http';
import net from 'node:net';

export const SLOW_BODY_MS = 250;

export interface TestServer {
  readonly port: number;
  readonly origin: string;
  /** Requests seen, in order: method and url. */
  readonly seen: { method: string; url: string }[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const seen: { method: string; url: string }[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    seen.push({ method: req.method ?? '', url });
    // drain any request body
    req.resume();
    if (url === '/ok' || url.startsWith('/ok?')) {
      res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' });
      res.end(JSON.stringify({ ok: true, method: req.method }));
    } else if (url.startsWith('/status/')) {
      const code = Number(url.slice('/status/'.length)) || 500;
      res.writeHead(code, { 'content-type': 'text/plain', 'x-test': 'status' });
      res.end(`status ${code}`);
    } else if (url === '/slow') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      later(SLOW_BODY_MS, () => res.end('last'));
    } else if (url === '/reset') {
      req.socket.destroy();
    } else if (url === '/midreset') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
      later(20, () => req.socket.destroy());
    } else if (url === '/hang') {
      // never answers
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const close = async () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { port, origin: `http://127.0.0.1:${port}`, seen, close, [Symbol.asyncDispose]: close };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** The metric host key of 127.0.0.1:<port>. */
export const hostKey = (port: number): string => `127_0_0_1_${port}`;
