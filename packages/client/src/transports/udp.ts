import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { ErrorCodes, TransportError } from '../errors.js';
import { countDrop, countSent, type PacketTransport, type TransportContext, uncountSent } from '../types.js';
import { IdleWaiters, PendingQueue } from './pending.js';

export interface UdpTransportOptions {
  readonly host: string;
  readonly port: number;
  /** 0: whatever the resolver returns first. */
  readonly family: 0 | 4 | 6;
  readonly maxQueueBytes: number;
  /** ms a resolved address is reused; 0: resolve once. */
  readonly dnsTtl: number;
}

type State = 'idle' | 'resolving' | 'connecting' | 'ready' | 'closed';

/** After a failed lookup, packets are dropped at once for this long instead of starting a lookup each. */
const DNS_RETRY_MS = 1000;

/**
 * UDP over a *connected* dgram socket: the kernel then reports ICMP port-unreachable as ECONNREFUSED on
 * a later send, which we pass to onError (an unconnected socket loses it silently). The host is resolved
 * once, cached for `dnsTtl`, refreshed in the background with one lookup in flight; IP literals skip DNS.
 * The socket is unref'd: it never holds the process open.
 *
 * Packets only wait while the socket resolves and connects; that queue may grow to
 * `CONNECTING_QUEUE_FACTOR` × `maxQueueBytes`, so a start-up burst is kept. (Sending unconnected
 * until the connect completes would not help: Node binds and connects asynchronously even for an IP
 * address, so a synchronous burst waits in memory either way, and a send addressed to a peer that is
 * queued behind the connect throws ERR_SOCKET_DGRAM_IS_CONNECTED when Node replays it.)
 */
export class UdpTransport implements PacketTransport {
  readonly #opts: UdpTransportOptions;
  readonly #ctx: TransportContext;
  readonly #queue: PendingQueue;
  readonly #idle = new IdleWaiters();
  readonly #literal: 0 | 4 | 6;
  #socket: dgram.Socket | undefined;
  #socketFamily: 4 | 6 = 4;
  #state: State = 'idle';
  #address = '';
  #resolvedAt = 0;
  #refreshing = false;
  #dnsFailedAt = Number.NEGATIVE_INFINITY;
  #inflight = 0;
  /**
   * The last packet counted as sent and not yet known refused (0 lines: none): an ICMP
   * port-unreachable reported later moves it to dropped.
   */
  #lastBytes = 0;
  #lastLines = 0;

  constructor(opts: UdpTransportOptions, ctx: TransportContext) {
    this.#opts = opts;
    this.#ctx = ctx;
    this.#queue = new PendingQueue(opts.maxQueueBytes, ctx);
    // Packets only ever wait for a lookup or a connect.
    this.#queue.connecting = true;
    this.#literal = net.isIP(opts.host) as 0 | 4 | 6;
  }

  send(packet: Buffer, bytes: number, lines: number): void {
    const state = this.#state;
    if (state === 'ready') {
      if (this.#opts.dnsTtl > 0 && this.#literal === 0 && !this.#refreshing) {
        if (Date.now() - this.#resolvedAt > this.#opts.dnsTtl) this.#refresh();
      }
      this.#write(packet, bytes, lines);
      return;
    }
    if (state === 'closed') {
      countDrop(this.#ctx.telemetry, 'closed', bytes, lines);
      return;
    }
    if (state === 'idle' && Date.now() - this.#dnsFailedAt < DNS_RETRY_MS) {
      countDrop(this.#ctx.telemetry, 'dns', bytes, lines);
      return;
    }
    this.#queue.push(packet, bytes, lines);
    if (state === 'idle') this.#start();
  }

  flush(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return this.#idle.wait();
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    await this.flush();
    this.#state = 'closed';
    this.#queue.dropAll('closed');
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      try {
        socket.close();
      } catch {
        // already closed by an error: nothing to release
      }
    }
    this.#idle.release();
  }

  /** Packets still waiting for the lookup or the connect (a connected socket sends at once). */
  unsentLines(): number {
    return this.#queue.lines;
  }

  /** Give up on anything pending (used by the client when close() times out). */
  abort(): void {
    this.#queue.dropAll('closed');
    this.#state = 'closed';
    this.#socket?.close();
    this.#socket = undefined;
    this.#idle.release();
  }

  #isIdle(): boolean {
    return this.#inflight === 0 && this.#queue.size === 0;
  }

  #settle(): void {
    if (this.#idle.waiting && this.#isIdle()) this.#idle.release();
  }

  #write(packet: Buffer, bytes: number, lines: number): void {
    const socket = this.#socket as dgram.Socket;
    this.#inflight++;
    socket.send(packet, (err) => {
      this.#inflight--;
      if (err) {
        // A pending refusal fails the next send without sending it: both packets are lost.
        if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.#refused();
        countDrop(this.#ctx.telemetry, 'sendError', bytes, lines);
        this.#ctx.onError(
          new TransportError(
            ErrorCodes.SEND,
            `statskit: UDP send to ${this.#address}:${this.#opts.port} failed: ${err.message}`,
            { cause: err },
          ),
        );
      } else {
        countSent(this.#ctx.telemetry, bytes, lines);
        this.#lastBytes = bytes;
        this.#lastLines = lines;
      }
      if (this.#inflight === 0) this.#settle();
    });
  }

  /** First connection (or after a socket error): resolve, then connect, then drain the queue. */
  #start(): void {
    if (this.#literal !== 0) {
      this.#connect(this.#opts.host, this.#literal);
      return;
    }
    this.#state = 'resolving';
    this.#lookup((err, address, family) => {
      if (this.#state === 'closed') return;
      if (err) {
        this.#state = 'idle';
        this.#dnsFailedAt = Date.now();
        this.#queue.dropAll('dns');
        this.#ctx.onError(
          new TransportError(ErrorCodes.DNS, `statskit: cannot resolve ${this.#opts.host}: ${err.message}`, {
            cause: err,
          }),
        );
        this.#settle();
        return;
      }
      this.#connect(address, family);
    });
  }

  /** Background re-resolution after the TTL: keep sending to the old address until a new one is known. */
  #refresh(): void {
    this.#refreshing = true;
    this.#lookup((err, address, family) => {
      this.#refreshing = false;
      if (this.#state !== 'ready') return;
      this.#resolvedAt = Date.now();
      if (err || address === this.#address) return; // keep the address that worked
      this.#state = 'connecting';
      this.#connect(address, family);
    });
  }

  #lookup(cb: (err: Error | null, address: string, family: 4 | 6) => void): void {
    try {
      dns.lookup(this.#opts.host, { family: this.#opts.family }, (err, address, family) => {
        cb(err, address, family === 6 ? 6 : 4);
      });
    } catch (err) {
      // invalid host strings throw synchronously in some Node versions
      process.nextTick(cb, err as Error, '', 4);
    }
  }

  #connect(address: string, family: 4 | 6): void {
    this.#state = 'connecting';
    this.#resolvedAt = Date.now();
    let socket = this.#socket;
    if (socket !== undefined && family === this.#socketFamily) {
      try {
        socket.disconnect();
      } catch {
        // not connected yet
      }
    } else {
      socket?.close();
      socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
      socket.unref();
      socket.on('error', (err) => this.#onSocketError(socket as dgram.Socket, err));
      this.#socket = socket;
      this.#socketFamily = family;
    }
    const current = socket;
    current.connect(this.#opts.port, address, (err?: Error) => {
      if (this.#socket !== current || this.#state === 'closed') return;
      if (err) {
        this.#onSocketError(current, err);
        return;
      }
      this.#address = address;
      this.#state = 'ready';
      this.#queue.drain((p, b, l) => this.#write(p, b, l));
      this.#settle();
    });
  }

  /**
   * An ICMP port-unreachable came back for a packet already counted as sent: count the most recent one
   * as dropped instead. Refusals the kernel merges into one report (several packets refused between two
   * reads) leave the others counted as sent; telemetry cannot see them.
   */
  #refused(): void {
    if (this.#lastLines === 0) return;
    uncountSent(this.#ctx.telemetry, 1, this.#lastBytes, this.#lastLines);
    this.#lastBytes = 0;
    this.#lastLines = 0;
  }

  #onSocketError(socket: dgram.Socket, err: Error): void {
    if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
      // ICMP port-unreachable for an earlier packet, usually picked up by the socket's next read (an
      // 'error' event) rather than by a send: nothing listens there (yet). The socket itself is fine.
      this.#refused();
      this.#ctx.onError(
        new TransportError(
          ErrorCodes.SEND,
          `statskit: UDP send to ${this.#address}:${this.#opts.port} was refused: ${err.message}`,
          { cause: err },
        ),
      );
      return;
    }
    this.#ctx.onError(
      new TransportError(ErrorCodes.SOCKET, `statskit: UDP socket error: ${err.message}`, { cause: err }),
    );
    if (this.#socket !== socket || this.#state === 'closed') return;
    // Start over with a fresh socket on the next send; what was waiting is lost with this one.
    this.#socket = undefined;
    this.#state = 'idle';
    try {
      socket.close();
    } catch {
      // already closed
    }
    this.#queue.dropAll('sendError');
    this.#settle();
  }
}
