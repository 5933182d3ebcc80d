/**
 * Disposable loopback HTTP servers for the outbound-HTTP tests (127.0.0.1, port 0):
 *   /ok           200, JSON body, a custom header
 *   /status/:code that status, a short body
 *   /slow         headers and a first chunk at once, the rest 250 ms later (the body takes ≥ 200 ms)
 *   /reset        the socket is destroyed before any response
 *   /midreset     headers and a chunk, then the socket is destroyed mid-body
 *   /hang         never answers (for aborts and timeouts)
 *   /headers      repeated and interleaved headers (two Set-Cookie with Expires, x-multi twice), mixed
 *                 case, a latin-1 value; written raw, in this order
 *   /trailers     a chunked body followed by trailers (one of them repeated)
 *   /stream       STREAM_BYTES of deterministic bytes in uneven chunks, one per event-loop turn
 *   /redirect/:n  302 (with a Set-Cookie) to /redirect/n-1, …, /redirect/0 → /headers
 * plus a port that refuses connections.
 */
import http from 'node:http';
import net from 'node:net';

export const SLOW_BODY_MS = 250;

/** Size of the /stream body. */
export const STREAM_BYTES = 1_000_003;

/** Deterministic bytes (a linear congruential generator), the same in every process. */
export function streamBody(): Buffer {
  const out = Buffer.allocUnsafe(STREAM_BYTES);
  let x = 12345;
  for (let i = 0; i < STREAM_BYTES; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** /headers, in wire order (node:http keeps a flat array as given). */
export const RAW_HEADERS: readonly string[] = [
  'Content-Type',
  'text/plain; charset=utf-8',
  'Set-Cookie',
  'a=1; Path=/',
  'X-Multi',
  'm1',
  'x-other',
  'o',
  'x-multi',
  'm2',
  'Set-Cookie',
  'b=2; Expires=Wed, 21 Oct 2037 07:28:00 GMT; HttpOnly',
  'X-Latin1',
  'caf\u00e9',
];

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
    } else if (url === '/headers') {
      res.writeHead(200, RAW_HEADERS as string[]);
      res.end('headers');
    } else if (url === '/trailers') {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum, x-repeat' });
      res.write('chunk 1;');
      res.write('chunk 2;');
      res.addTrailers([
        ['x-checksum', 'abc123'],
        ['x-repeat', 'r1'],
        ['x-repeat', 'r2'],
      ]);
      res.end();
    } else if (url === '/stream') {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const body = streamBody();
      let at = 0;
      let size = 1;
      const next = () => {
        if (at >= body.length) {
          res.end();
          return;
        }
        size = (size * 7 + 13) % 65_521;
        res.write(body.subarray(at, at + size + 1));
        at += size + 1;
        setImmediate(next);
      };
      next();
    } else if (url.startsWith('/redirect/')) {
      const n = Number(url.slice('/redirect/'.length)) || 0;
      res.writeHead(302, {
        location: n > 0 ? `/redirect/${n - 1}` : '/headers',
        'set-cookie': [`hop${n}=1`, 'same=x'],
      });
      res.end(`hop ${n}`);
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
