/**
 * Writing statsd text straight into a packet Buffer. ASCII (every name, number and tag the sanitizer let
 * through, in practice) is stored char by char: no call into C++ per line, and no flattening of the
 * caller's string ropes.
 */

/**
 * Write `s` as UTF-8 at `off`; returns the offset after it. The first non-ASCII character hands the
 * rest to `buf.write`.
 */
export function putString(buf: Buffer, off: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return off + i + buf.write(i === 0 ? s : s.slice(i), off + i, 'utf8');
    buf[off + i] = c;
  }
  return off + n;
}

/** Copy `src` to `buf` at `off`; returns the offset after it. (`set()` measured faster than a loop even for 25 bytes.) */
export function putBytes(buf: Buffer, off: number, src: Uint8Array): number {
  buf.set(src, off);
  return off + src.length;
}
