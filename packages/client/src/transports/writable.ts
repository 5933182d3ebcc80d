import type { Writable } from 'node:stream';
import type { TransportContext } from '../types.js';
import { StreamTransport } from './stream.js';

/** Is `value` a Node.js Writable stream (or anything that quacks like one)? */
export function isWritableStream(value: unknown): value is Writable {
  if (typeof value !== 'object' || value === null) return false;
  const w = value as Partial<Writable>;
  return (
    typeof w.write === 'function' &&
    typeof w.on === 'function' &&
    typeof w.once === 'function' &&
    typeof w.removeListener === 'function' &&
    typeof (w as { send?: unknown }).send !== 'function'
  );
}

/**
 * Writes every packet, followed by `\n`, to a Writable you own (a file, a pipe, `process.stdout`, a
 * socket you manage). Backpressure is respected: when `write()` returns false, packets wait in the
 * bounded queue until 'drain'. If the stream errors or closes, it is not reopened: later packets are
 * dropped and counted. `close()` flushes but does not end the stream — it is yours.
 */
export class WritableTransport extends StreamTransport {
  readonly #stream: Writable;

  constructor(stream: Writable, maxQueueBytes: number, ctx: TransportContext) {
    super(ctx, { maxQueueBytes, framing: 'newline', reconnect: false });
    this.#stream = stream;
  }

  protected get label(): string {
    return 'the Writable stream';
  }

  protected open(): void {
    this.attach(this.#stream);
  }

  protected release(out: Writable): void {
    this.detach(out);
  }

  protected destroy(_out: Writable): void {
    // not ours to destroy; the listeners stay so a late write error is still caught
  }
}
