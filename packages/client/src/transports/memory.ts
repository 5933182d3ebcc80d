import { countSent, type Transport, type TransportContext } from '../types.js';

/**
 * Keeps every packet in memory instead of sending it: for tests (see `@statskit/client/testing`).
 * Packets are recorded synchronously, so a metric is visible as soon as its packet is flushed.
 */
export class MemoryTransport implements Transport {
  /** Every packet, in order. */
  readonly packets: string[] = [];
  #ctx: TransportContext | undefined;
  #closed = false;

  /** Used by the client: telemetry counts what was "sent" here. */
  attach(ctx: TransportContext): this {
    this.#ctx = ctx;
    return this;
  }

  /** Every line of every packet, in order. */
  get lines(): string[] {
    const out: string[] = [];
    for (const p of this.packets) for (const line of p.split('\n')) out.push(line);
    return out;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  send(packet: string, bytes: number, lines: number): void {
    this.packets.push(packet);
    if (this.#ctx !== undefined) countSent(this.#ctx.telemetry, bytes, lines);
  }

  /** Forget what was recorded. */
  clear(): void {
    this.packets.length = 0;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
