import { holdPacketUntilExit, releasePacket } from './exit.js';
import { putString } from './protocol/write.js';
import type { PacketTransport } from './types.js';

const NEWLINE = 0x0a;

/**
 * Packs lines, `\n`-separated, into packets of at most `maxBytes` bytes, written straight into a
 * Buffer: no string concatenation, no rope to flatten and encode when the packet is sent. The size
 * check happens *before* a line is written (a packet never overshoots), using byte counts the formatter
 * computed. A partly filled packet waits at most `interval` ms, on an unref'd timer armed only while
 * non-empty. With `immediate`, every line is a packet of its own (batching off).
 *
 * Writing a line: `off = reserve(bytes)`, then `put*()` into `buffer` from `off`, then `commit(end, n)`.
 */
export class Batcher {
  #buf: Buffer;
  #off = 0;
  #lines = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #max: number;
  readonly #interval: number;
  readonly #immediate: boolean;
  readonly #transport: PacketTransport;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };

  constructor(maxBytes: number, interval: number, transport: PacketTransport, immediate = false) {
    this.#max = maxBytes;
    this.#interval = interval;
    this.#immediate = immediate;
    this.#transport = transport;
    this.#buf = Buffer.allocUnsafe(maxBytes);
  }

  /** Bytes in the packet being filled (0: empty). */
  get size(): number {
    return this.#off;
  }

  /** The packet being filled: write into it between `reserve()` and `commit()`. */
  get buffer(): Buffer {
    return this.#buf;
  }

  /**
   * Make room for a line of `bytes` bytes (the caller has checked `bytes <= maxBytes`): flush first if
   * it would not fit, write the separator, and return the offset to write the line at.
   */
  reserve(bytes: number): number {
    const off = this.#off;
    if (off === 0) {
      this.#arm();
      return 0;
    }
    if (off + 1 + bytes > this.#max) {
      this.flush();
      this.#arm();
      return 0;
    }
    this.#buf[off] = NEWLINE;
    return off + 1;
  }

  /** Finish what was written after `reserve()`: `end` is the offset after it, `lines` how many it held. */
  commit(end: number, lines: number): void {
    this.#off = end;
    this.#lines += lines;
    if (this.#immediate) this.flush();
  }

  /** Append one line, or lines that must travel in one packet (`g:0|g\ng:-5|g`); `bytes` counts them all. */
  append(line: string, bytes: number, lines = 1): void {
    const off = this.reserve(bytes);
    this.commit(putString(this.#buf, off, line), lines);
  }

  /** Send the current packet, if any. */
  flush(): void {
    const size = this.#off;
    if (size === 0) return;
    const lines = this.#lines;
    let packet: Buffer;
    if (size * 2 > this.#max) {
      // Mostly full: hand this buffer over and fill a new one.
      packet = this.#buf.subarray(0, size);
      this.#buf = Buffer.allocUnsafe(this.#max);
    } else {
      // A small packet (timer, flush(), batching off) must not pin a whole buffer while it is queued.
      packet = Buffer.allocUnsafe(size);
      this.#buf.copy(packet, 0, 0, size);
    }
    this.#off = 0;
    this.#lines = 0;
    releasePacket(this);
    this.#transport.send(packet, size, lines);
  }

  /** Flush and stop the timer. */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.flush();
  }

  /** A packet is starting: make sure it is flushed by the timer, or by `beforeExit`. */
  #arm(): void {
    if (this.#immediate) return;
    holdPacketUntilExit(this);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#interval);
      this.#timer.unref();
    }
  }
}
