import net from 'node:net';
import type { Writable } from 'node:stream';
import type { TransportContext } from '../types.js';
import { prepareSocket, type StreamFraming, StreamTransport } from './stream.js';
import { endSocket } from './tcp.js';

export interface UdsTransportOptions {
  /** Path of the unix socket. */
  readonly path: string;
  readonly framing: StreamFraming;
  readonly maxQueueBytes: number;
  /** First reconnect delay in ms (doubles up to `maxReconnectDelay`). Default 100. */
  readonly minReconnectDelay?: number | undefined;
  /** Longest reconnect delay in ms. Default 10 000. */
  readonly maxReconnectDelay?: number | undefined;
}

/**
 * statsd over a unix *stream* socket (`SOCK_STREAM`). Node.js cannot open unix datagram sockets, so
 * the Datadog Agent's default `dogstatsd_socket` (a datagram socket) is out of reach: point this
 * transport at the Agent's `dogstatsd_stream_socket` with `udsFraming: 'length-prefix'`, or at a
 * server that reads newline-delimited lines from a stream socket (etsy statsd's `servers/tcp` with
 * `socket: <path>`) with the default `'newline'`. Same reconnect and queue behaviour as TCP.
 */
export class UdsTransport extends StreamTransport {
  readonly #path: string;

  constructor(opts: UdsTransportOptions, ctx: TransportContext) {
    super(ctx, {
      maxQueueBytes: opts.maxQueueBytes,
      framing: opts.framing,
      reconnect: true,
      minReconnectDelay: opts.minReconnectDelay,
      maxReconnectDelay: opts.maxReconnectDelay,
    });
    this.#path = opts.path;
  }

  protected get label(): string {
    return `unix socket ${this.#path}`;
  }

  protected open(): void {
    this.attach(prepareSocket(net.connect({ path: this.#path })));
  }

  protected override describeConnectError(err: Error): string {
    if ((err as NodeJS.ErrnoException).code === 'EPROTOTYPE') {
      return `${err.message} (this is a datagram socket; Node.js can only use unix stream sockets — for the Datadog Agent, set dogstatsd_stream_socket and udsFraming: 'length-prefix')`;
    }
    return err.message;
  }

  protected release(out: Writable): void {
    endSocket(out as net.Socket);
  }

  protected destroy(out: Writable): void {
    out.destroy();
  }
}
