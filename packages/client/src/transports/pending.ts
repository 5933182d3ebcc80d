import { ErrorCodes, TransportError } from '../errors.js';
import { countDrop, type Telemetry, type TransportContext } from '../types.js';

/**
 * While a connection is being made (and until what queued meanwhile has drained), the queue may hold
 * this many times `maxQueueBytes` (32 MiB by default): a burst sent before the first connect completes
 * (a batch job that sends, then closes) is kept instead of dropped. Node's connect is asynchronous even for an IP address, so a synchronous
 * burst can only wait in memory. If the attempt fails, the queue is cut back to `maxQueueBytes`.
 */
export const CONNECTING_QUEUE_FACTOR = 32;

/**
 * Packets waiting for a socket (connecting, resolving, reconnecting), bounded in bytes. Beyond the
 * limit the newest packet is dropped and counted: memory stays bounded however long the server is away.
 * The limit is `maxQueueBytes`, or {@link CONNECTING_QUEUE_FACTOR} times it while `connecting` is set.
 * Shared by the socket transports.
 */
export class PendingQueue {
  readonly #packets: Buffer[] = [];
  readonly #bytes: number[] = [];
  readonly #lines: number[] = [];
  #head = 0;
  #total = 0;
  #reportedFull = false;
  readonly #limit: number;
  readonly #connectLimit: number;
  readonly #ctx: TransportContext;
  /** A connection attempt is in progress: the larger limit applies. */
  connecting = false;

  constructor(limit: number, ctx: TransportContext) {
    this.#limit = limit;
    this.#connectLimit = Math.min(Number.MAX_SAFE_INTEGER, limit * CONNECTING_QUEUE_FACTOR);
    this.#ctx = ctx;
  }

  get size(): number {
    return this.#packets.length - this.#head;
  }

  /** Lines in the queued packets (counted when the process exits with packets still waiting). */
  get lines(): number {
    let n = 0;
    for (let i = this.#head; i < this.#lines.length; i++) n += this.#lines[i] as number;
    return n;
  }

  /** Queue a packet, or drop it (counted, reported once per overflow episode) when the queue is full. */
  push(packet: Buffer, bytes: number, lines: number): void {
    const t: Telemetry = this.#ctx.telemetry;
    if (this.#total + bytes > (this.connecting ? this.#connectLimit : this.#limit)) {
      countDrop(t, 'queueFull', bytes, lines);
      this.#reportFull();
      return;
    }
    this.#packets.push(packet);
    this.#bytes.push(bytes);
    this.#lines.push(lines);
    this.#total += bytes;
    t.queueBytes += bytes;
  }

  /**
   * Cut the queue back to `maxQueueBytes` after a failed connect, dropping the newest packets beyond
   * it (counted as `queueFull`, reported once per episode).
   */
  trim(): void {
    this.connecting = false;
    if (this.#total <= this.#limit) return;
    const t = this.#ctx.telemetry;
    const total = this.#total;
    while (this.#total > this.#limit && this.#packets.length > this.#head) {
      this.#packets.pop();
      const bytes = this.#bytes.pop() as number;
      const lines = this.#lines.pop() as number;
      this.#total -= bytes;
      t.queueBytes -= bytes;
      countDrop(t, 'queueFull', bytes, lines);
    }
    this.#reportFull(total);
  }

  #reportFull(total = this.#total): void {
    if (this.#reportedFull) return;
    this.#reportedFull = true;
    this.#ctx.onError(
      new TransportError(
        ErrorCodes.QUEUE_FULL,
        `statskit: ${total} bytes are waiting for the socket (maxQueueBytes ${this.#limit}${
          this.connecting ? `, ${this.#connectLimit} while connecting` : ''
        }); dropping packets until it drains`,
      ),
    );
  }

  /** Take every queued packet, oldest first, handing each to `fn`. */
  drain(fn: (packet: Buffer, bytes: number, lines: number) => void): void {
    while (this.#head < this.#packets.length) {
      const i = this.#head++;
      const bytes = this.#bytes[i] as number;
      this.#total -= bytes;
      this.#ctx.telemetry.queueBytes -= bytes;
      fn(this.#packets[i] as Buffer, bytes, this.#lines[i] as number);
      if (this.#head === this.#packets.length) break;
    }
    this.#reset();
  }

  /** Peek at the oldest packet without removing it. */
  peek(): Buffer | undefined {
    return this.#packets[this.#head];
  }

  /** Remove the oldest packet (after `peek`), returning its byte and line counts. */
  shift(): { bytes: number; lines: number } | undefined {
    if (this.#head >= this.#packets.length) return undefined;
    const i = this.#head++;
    const bytes = this.#bytes[i] as number;
    const lines = this.#lines[i] as number;
    this.#total -= bytes;
    this.#ctx.telemetry.queueBytes -= bytes;
    if (this.#head === this.#packets.length) this.#reset();
    return { bytes, lines };
  }

  /** Drop everything queued, counting it under `reason`; returns how many lines that was. */
  dropAll(reason: keyof Telemetry['droppedBy']): number {
    const t = this.#ctx.telemetry;
    let lines = 0;
    for (let i = this.#head; i < this.#packets.length; i++) {
      countDrop(t, reason, this.#bytes[i] as number, this.#lines[i] as number);
      lines += this.#lines[i] as number;
    }
    t.queueBytes -= this.#total;
    this.#total = 0;
    this.#reset();
    return lines;
  }

  #reset(): void {
    this.#packets.length = 0;
    this.#bytes.length = 0;
    this.#lines.length = 0;
    this.#head = 0;
    this.#reportedFull = false;
  }
}

/** Promises waiting for a transport to become idle. */
export class IdleWaiters {
  #waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  get waiting(): boolean {
    return this.#waiters.length > 0;
  }

  release(): void {
    const w = this.#waiters;
    if (w.length === 0) return;
    this.#waiters = [];
    for (const resolve of w) resolve();
  }
}
