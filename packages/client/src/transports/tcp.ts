import dns from 'node:dns';
import net from 'node:net';
import type { Writable } from 'node:stream';
import { ErrorCodes, TransportError } from '../errors.js';
import type { TransportContext } from '../types.js';
import { prepareSocket, StreamTransport } from './stream.js';

export interface TcpTransportOptions {
  readonly host: string;
  readonly port: number;
  /** 0: whatever the resolver returns first. */
  readonly family: 0 | 4 | 6;
  readonly maxQueueBytes: number;
  /** ms a resolved address is reused by reconnects; 0: resolve once. */
  readonly dnsTtl: number;
  /** First reconnect delay in ms (doubles up to `maxReconnectDelay`). Default 100. */
  readonly minReconnectDelay?: number | undefined;
  /** Longest reconnect delay in ms. Default 10 000. */
  readonly maxReconnectDelay?: number | undefined;
}

/**
 * statsd over TCP: each packet (newline-joined lines) is written followed by `\n`, which is how etsy
 * statsd's `servers/tcp`, Telegraf's statsd input (`protocol = "tcp"`) and statsd_exporter read it.
 * Connects on the first send; reconnects with backoff after ECONNREFUSED, ECONNRESET, EPIPE or a
 * close; queues (bounded) while connecting or when the socket pushes back. Nagle is off (the batcher
 * already coalesces). The host is resolved like UDP does: IP literals skip DNS, a name is looked up on
 * connect and reused by reconnects for `dnsTtl` ms.
 */
export class TcpTransport extends StreamTransport {
  readonly #opts: TcpTransportOptions;
  readonly #literal: boolean;
  #address = '';
  #resolvedAt = Number.NEGATIVE_INFINITY;

  constructor(opts: TcpTransportOptions, ctx: TransportContext) {
    super(ctx, {
      maxQueueBytes: opts.maxQueueBytes,
      framing: 'newline',
      reconnect: true,
      minReconnectDelay: opts.minReconnectDelay,
      maxReconnectDelay: opts.maxReconnectDelay,
    });
    this.#opts = opts;
    this.#literal = net.isIP(opts.host) !== 0;
  }

  protected get label(): string {
    const host = this.#address !== '' && this.#address !== this.#opts.host ? ` (${this.#address})` : '';
    return `TCP ${this.#opts.host}${host}:${this.#opts.port}`;
  }

  protected open(): void {
    if (this.#literal) {
      this.#connect(this.#opts.host);
      return;
    }
    const ttl = this.#opts.dnsTtl;
    const fresh = ttl === 0 ? this.#address !== '' : Date.now() - this.#resolvedAt < ttl;
    if (fresh) {
      this.#connect(this.#address);
      return;
    }
    const onLookup = (err: Error | null, address: string): void => {
      if (!this.opening) return;
      if (err) {
        if (this.#address !== '') {
          // keep the address that worked: a flaky resolver should not stop a reachable server
          this.#connect(this.#address);
          return;
        }
        this.openFailed(
          new TransportError(ErrorCodes.DNS, `statskit: cannot resolve ${this.#opts.host}: ${err.message}`, {
            cause: err,
          }),
          'dns',
        );
        return;
      }
      this.#address = address;
      this.#resolvedAt = Date.now();
      this.#connect(address);
    };
    try {
      dns.lookup(this.#opts.host, { family: this.#opts.family }, onLookup);
    } catch (err) {
      // invalid host strings throw synchronously in some Node versions
      process.nextTick(onLookup, err as Error, '');
    }
  }

  #connect(address: string): void {
    const socket = prepareSocket(net.connect({ host: address, port: this.#opts.port }));
    socket.setNoDelay(true);
    this.attach(socket);
  }

  protected release(out: Writable): void {
    endSocket(out as net.Socket);
  }

  protected destroy(out: Writable): void {
    out.destroy();
  }
}

/** End gracefully (FIN after what is buffered), then free the handle without waiting for the peer. */
export function endSocket(socket: net.Socket): void {
  socket.once('finish', () => socket.destroy());
  socket.end();
}
