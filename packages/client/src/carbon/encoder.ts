/**
 * carbon's plaintext protocol: `path value timestamp\n`, one line per value, many lines per write.
 * The only place a carbon line's layout and byte count live: `head` (API key + metric path, UTF-8 size
 * known), a stat suffix such as `.p95` (ASCII), the Graphite 1.1 tags (`;k=v`), the value, the
 * timestamp in seconds.
 */

import { putString } from '../protocol/write.js';

/** Hands a finished packet (lines joined by `\n`, no trailing newline) to the transport. */
export type SendPacket = (packet: Buffer, bytes: number, lines: number) => void;

/** Number → carbon value text. Python's float() reads every form `String()` prints. */
export function carbonValue(v: number): string {
  return `${v}`;
}

/** Packs carbon lines into packets of at most `size` bytes. */
export class CarbonPacker {
  readonly #size: number;
  readonly #send: SendPacket;
  #buf: Buffer;
  #off = 0;
  #lines = 0;

  constructor(size: number, send: SendPacket) {
    this.#size = size;
    this.#send = send;
    this.#buf = Buffer.allocUnsafe(size);
  }

  /** Bytes of one line (without its separator). */
  static bytes(headBytes: number, stat: string, tagBytes: number, value: string, ts: string): number {
    return headBytes + stat.length + tagBytes + 1 + value.length + 1 + ts.length;
  }

  /**
   * Append one line of `bytes` bytes (see {@link CarbonPacker.bytes}); false when it can never fit in a
   * packet (the caller counts the drop).
   */
  line(head: string, stat: string, tags: string, value: string, ts: string, bytes: number): boolean {
    if (bytes > this.#size) return false;
    let o = this.#off;
    if (o !== 0) {
      if (o + 1 + bytes > this.#size) {
        this.flush();
        o = 0;
      } else this.#buf[o++] = 0x0a;
    }
    const buf = this.#buf;
    o = putString(buf, o, head);
    o = putString(buf, o, stat);
    if (tags !== '') o = putString(buf, o, tags);
    buf[o++] = 0x20;
    o = putString(buf, o, value);
    buf[o++] = 0x20;
    o = putString(buf, o, ts);
    this.#off = o;
    this.#lines++;
    return true;
  }

  /** Send the packet being filled, if any. */
  flush(): void {
    const size = this.#off;
    if (size === 0) return;
    let packet: Buffer;
    if (size * 2 > this.#size) {
      packet = this.#buf.subarray(0, size);
      this.#buf = Buffer.allocUnsafe(this.#size);
    } else {
      // a small packet must not pin a whole buffer while it waits in the transport's queue
      packet = Buffer.allocUnsafe(size);
      this.#buf.copy(packet, 0, 0, size);
    }
    const lines = this.#lines;
    this.#off = 0;
    this.#lines = 0;
    this.#send(packet, size, lines);
  }
}
