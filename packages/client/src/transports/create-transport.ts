import { callbackError } from '../errors.js';
import type { ResolvedOptions } from '../options.js';
import {
  countDrop,
  countSent,
  type PacketTransport,
  type Transport,
  type TransportContext,
} from '../types.js';
import { TcpTransport } from './tcp.js';
import { UdpTransport } from './udp.js';
import { UdsTransport } from './uds.js';
import { isWritableStream, WritableTransport } from './writable.js';

/** A transport that wants the context after construction (MemoryTransport). */
interface Attachable extends Transport {
  attach(ctx: TransportContext): Transport;
}

function isAttachable(t: Transport): t is Attachable {
  return typeof (t as Partial<Attachable>).attach === 'function';
}

/**
 * A user's transport object, guarded: anything it throws goes to onError as STATSKIT_ERR_CALLBACK
 * instead of into the app, and missing flush/close are filled in. It is given each packet as a string.
 */
class GuardedTransport implements PacketTransport {
  readonly #inner: Transport;
  readonly #ctx: TransportContext;
  readonly #counts: boolean;

  constructor(inner: Transport, ctx: TransportContext, counts: boolean) {
    this.#inner = inner;
    this.#ctx = ctx;
    this.#counts = counts;
  }

  send(packet: Buffer, bytes: number, lines: number): void {
    try {
      this.#inner.send(packet.toString('utf8'), bytes, lines);
      if (this.#counts) countSent(this.#ctx.telemetry, bytes, lines);
    } catch (err) {
      countDrop(this.#ctx.telemetry, 'sendError', bytes, lines);
      this.#ctx.onError(callbackError('transport.send()', err));
    }
  }

  flush(): Promise<void> {
    return typeof this.#inner.flush === 'function' ? this.#inner.flush() : Promise.resolve();
  }

  close(): Promise<void> {
    return typeof this.#inner.close === 'function' ? this.#inner.close() : Promise.resolve();
  }
}

/** Pick the transport for resolved options. */
export function createTransport(opts: ResolvedOptions, ctx: TransportContext): PacketTransport {
  const custom = opts.transport;
  if (custom !== undefined) {
    if (typeof custom === 'function') return new GuardedTransport(custom(ctx), ctx, false);
    if (isWritableStream(custom)) return new WritableTransport(custom, opts.maxQueueBytes, ctx);
    if (isAttachable(custom)) return new GuardedTransport(custom.attach(ctx), ctx, false);
    // A plain object does not know about telemetry: count what it accepted as sent.
    return new GuardedTransport(custom, ctx, true);
  }
  switch (opts.protocol) {
    case 'udp':
      return new UdpTransport(
        {
          host: opts.host,
          port: opts.port,
          family: opts.family,
          maxQueueBytes: opts.maxQueueBytes,
          dnsTtl: opts.dnsTtl,
        },
        ctx,
      );
    case 'tcp':
      return new TcpTransport(
        {
          host: opts.host,
          port: opts.port,
          family: opts.family,
          maxQueueBytes: opts.maxQueueBytes,
          dnsTtl: opts.dnsTtl,
        },
        ctx,
      );
    case 'uds':
      return new UdsTransport(
        { path: opts.path as string, framing: opts.udsFraming, maxQueueBytes: opts.maxQueueBytes },
        ctx,
      );
  }
}
