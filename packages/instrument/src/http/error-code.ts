import type { HttpClientErrorCode } from './types.js';

/**
 * Internal: an error from node:http, undici or fetch → one of a bounded set of codes, so metric names
 * stay few whatever the error. Looks at `code`, then `name` (DOMException aborts and timeouts), then
 * one level of `cause`.
 */

const BY_CODE: ReadonlyMap<string, HttpClientErrorCode> = new Map<string, HttpClientErrorCode>([
  ['ECONNREFUSED', 'ECONNREFUSED'],
  ['ECONNRESET', 'ECONNRESET'],
  ['EPIPE', 'ECONNRESET'],
  // undici: "other side closed" and friends
  ['UND_ERR_SOCKET', 'ECONNRESET'],
  ['ETIMEDOUT', 'ETIMEDOUT'],
  ['ESOCKETTIMEDOUT', 'ETIMEDOUT'],
  ['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT'],
  ['UND_ERR_HEADERS_TIMEOUT', 'ETIMEDOUT'],
  ['UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'],
  ['ENOTFOUND', 'ENOTFOUND'],
  ['EAI_AGAIN', 'ENOTFOUND'],
  ['EHOSTUNREACH', 'EHOSTUNREACH'],
  ['ENETUNREACH', 'ENETUNREACH'],
  ['ABORT_ERR', 'ABORTED'],
  ['ECONNABORTED', 'ABORTED'],
  ['UND_ERR_ABORTED', 'ABORTED'],
  ['ERR_CANCELED', 'ABORTED'],
]);

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code.startsWith('CERT_') ||
    code.endsWith('_CERT') ||
    code.includes('CERT_') ||
    code.startsWith('UNABLE_TO_') ||
    code === 'HOSTNAME_MISMATCH' ||
    code === 'EPROTO'
  );
}

function own(err: unknown): HttpClientErrorCode | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; name?: unknown };
  if (typeof e.code === 'string') {
    const hit = BY_CODE.get(e.code);
    if (hit !== undefined) return hit;
    if (isTlsCode(e.code)) return 'TLS';
  }
  if (e.name === 'AbortError') return 'ABORTED';
  if (e.name === 'TimeoutError') return 'ETIMEDOUT';
  return undefined;
}

/** The code `err` is counted under. */
export function errorCode(err: unknown): HttpClientErrorCode {
  const direct = own(err);
  if (direct !== undefined) return direct;
  if (typeof err === 'object' && err !== null && 'cause' in err) {
    const viaCause = own((err as { cause?: unknown }).cause);
    if (viaCause !== undefined) return viaCause;
  }
  return 'OTHER';
}
