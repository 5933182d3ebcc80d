/** What an app can observe of a response or a failure, in a form `toEqual` compares. */
import { createHash } from 'node:crypto';

export const sha256 = (bytes: ArrayBuffer | Uint8Array): string =>
  createHash('sha256').update(new Uint8Array(bytes)).digest('hex');

/** Everything the app can see of a fetch Response (but the `date` header), body hashed. */
export async function seenResponse(res: Response) {
  return {
    status: res.status,
    statusText: res.statusText,
    ok: res.ok,
    url: res.url,
    redirected: res.redirected,
    type: res.type,
    entries: [...res.headers.entries()].filter(([k]) => k !== 'date'),
    setCookie: res.headers.getSetCookie(),
    multi: res.headers.get('x-multi'),
    latin1: Buffer.from(res.headers.get('x-latin1') ?? '', 'latin1').toString('hex'),
    body: sha256(await res.arrayBuffer()),
  };
}

/** What the app sees of a failure (class, name, message, cause). */
export async function seenError(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    const e = err as Error & { code?: unknown; cause?: Error & { code?: unknown } };
    return {
      class: e.constructor.name,
      name: e.name,
      message: e.message,
      code: e.code,
      cause: e.cause?.constructor.name,
      causeName: e.cause?.name,
      causeMessage: e.cause?.message,
      causeCode: e.cause?.code,
    };
  }
  throw new Error('expected a rejection');
}

/** A raw header/trailer list (Buffers, or arrays of them) as strings, `date` dropped. */
export function rawStrings(raw: unknown): unknown[] {
  const list = raw as (Buffer | Buffer[])[];
  const out: unknown[] = [];
  for (let i = 0; i < list.length; i += 2) {
    const name = String(list[i]);
    if (name.toLowerCase() === 'date') continue;
    const v = list[i + 1];
    out.push(name, Array.isArray(v) ? v.map((b) => b.toString('latin1')) : v?.toString('latin1'));
  }
  return out;
}
