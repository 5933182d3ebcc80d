import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Body sizes for the recorder's `sizes` option, the same way for every framework (all of them write
 * through Node's `ServerResponse`):
 * - request: the `Content-Length` header; 0 for a request without a body; `undefined` (not reported) for
 *   a chunked upload, whose size only reading the body would tell.
 * - response: the body bytes written with `res.write()` / `res.end()` (strings counted in their
 *   encoding), counted by two shared functions set on the response when the request starts. Headers and
 *   chunked framing are not included; a compression middleware registered after statskit is counted
 *   compressed. (`socket.bytesWritten` deltas would include headers and mix pipelined responses.)
 */

const kBytes = Symbol('statskit.responseBytes');
const kWrite = Symbol('statskit.write');
const kEnd = Symbol('statskit.end');

type Write = (this: ServerResponse, ...args: unknown[]) => unknown;
type Counted = ServerResponse & { [kBytes]: number; [kWrite]: Write; [kEnd]: Write };

function chunkBytes(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') {
    try {
      return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
    } catch {
      return Buffer.byteLength(chunk);
    }
  }
  return chunk instanceof Uint8Array ? chunk.byteLength : 0;
}

function countingWrite(this: Counted, ...args: unknown[]): unknown {
  this[kBytes] += chunkBytes(args[0], args[1]);
  return this[kWrite].apply(this, args);
}

function countingEnd(this: Counted, ...args: unknown[]): unknown {
  if (!this.writableEnded) this[kBytes] += chunkBytes(args[0], args[1]);
  return this[kEnd].apply(this, args);
}

/** Start counting the body bytes written to `res` (once per response). For adapter authors. */
export function countResponseBytes(res: ServerResponse): void {
  const r = res as Counted;
  if (typeof r[kBytes] === 'number') return;
  r[kBytes] = 0;
  r[kWrite] = res.write as unknown as Write;
  r[kEnd] = res.end as unknown as Write;
  res.write = countingWrite as unknown as ServerResponse['write'];
  res.end = countingEnd as unknown as ServerResponse['end'];
}

/** The body bytes written to `res` since {@link countResponseBytes}, or `undefined` if not counted. */
export function responseBytes(res: ServerResponse): number | undefined {
  const n = (res as Partial<Counted>)[kBytes];
  return typeof n === 'number' ? n : undefined;
}

/** The request body's size from `Content-Length`: 0 without a body, `undefined` when chunked. */
export function requestBytes(req: IncomingMessage): number | undefined {
  const length = req.headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return length !== '' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
  }
  return req.headers['transfer-encoding'] === undefined ? 0 : undefined;
}
