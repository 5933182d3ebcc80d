import type net from 'node:net';
import type { Writable } from 'node:stream';
import { ErrorCodes, TransportError } from '../errors.js';
import {
  countDrop,
  countSent,
  type PacketTransport,
  type Telemetry,
  type TransportContext,
  uncountSent,
} from '../types.js';
import { IdleWaiters, PendingQueue } from './pending.js';

/**
 * How packets are delimited on a byte stream.
 * - `newline`: the packet, then `\n` (etsy statsd's TCP server, Telegraf's TCP listener, and most others).
 * - `length-prefix`: a 4-byte little-endian uint32 byte count, then the packet and its `\n` (the Datadog
 *   Agent's `dogstatsd_stream_socket`, the framing its official clients use on unix stream sockets).
 */
export type StreamFraming = 'newline' | 'length-prefix';

/** Settings shared by the stream transports. */
export interface StreamTransportOptions {
  readonly maxQueueBytes: number;
  readonly framing: StreamFraming;
  /** Reconnect with backoff after the stream closes (sockets), or give up (a user's Writable). */
  readonly reconnect: boolean;
  /** First reconnect delay in ms; doubles per failed attempt up to `maxReconnectDelay`. Default 100. */
  readonly minReconnectDelay?: number | undefined;
  /** Longest reconnect delay in ms. Default 10 000. */
  readonly maxReconnectDelay?: number | undefined;
}

type State = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;
/** How long a connect attempt may take before it is abandoned. */
const CONNECT_TIMEOUT_MS = 5000;
/**
 * A connection is confirmed once it has stayed up this long. The kernel accepting a write says nothing
 * about the server reading it: what was written on a connection the server closes sooner (a server, or a
 * load balancer with no healthy backend, that accepts and hangs up at once) is counted as dropped.
 */
const CONFIRM_MS = 1000;
/** At close(), a connection this young is watched for a hang-up before it is ended (see `#lastWords`). */
const HANGUP_RTTS = 4;
const HANGUP_MIN_MS = 5;

/** Frame one packet for a newline-delimited stream: the packet, then `\n`. */
function newlineFramed(packet: Buffer): Buffer {
  const n = packet.length;
  const out = Buffer.allocUnsafe(n + 1);
  packet.copy(out, 0);
  out[n] = 0x0a;
  return out;
}

/** Frame one packet for a length-prefixed stream: `uint32le(n) packet \n`, n counting the packet and `\n`. */
function lengthPrefixed(packet: Buffer): Buffer {
  const n = packet.length;
  const out = Buffer.allocUnsafe(n + 5);
  out.writeUInt32LE(n + 1, 0);
  packet.copy(out, 4);
  out[n + 4] = 0x0a;
  return out;
}

/**
 * One connection: the stream, and the sizes of writes handed to it whose callbacks have not run yet
 * (write callbacks run in order, so the oldest entry belongs to the next callback).
 */
interface Link {
  readonly out: Writable;
  readonly bytes: number[];
  readonly lines: number[];
  head: number;
  connected: boolean;
  dead: boolean;
  reportedError: boolean;
  /** When the connection was made (ms since the epoch). */
  connectedAt: number;
  /** `performance.now()` when the connect began, then how long it took (≈ one round trip), in ms. */
  openedAt: number;
  rtt: number;
  /** Up for {@link CONFIRM_MS}: writes on it are sent for good. */
  confirmed: boolean;
  /** Counted as sent on this connection before it was confirmed. */
  unconfirmedPackets: number;
  unconfirmedBytes: number;
  unconfirmedLines: number;
  /**
   * The packets written while not confirmed (up to `maxQueueBytes`; undefined past it or once
   * confirmed): what close() sends once more, on a new connection, when the server hung up on them.
   */
  kept: Array<{ packet: Buffer; bytes: number; lines: number }> | undefined;
  keptBytes: number;
  /** The server reset the connection (ECONNRESET, EPIPE) during close(): reported by #down. */
  reset: boolean;
  /** Bound once per connection and passed to every write: no closure per packet. */
  readonly onWrite: (err?: Error | null) => void;
  readonly onError: (err: Error) => void;
  readonly onClose: () => void;
  readonly onDrain: () => void;
}

/** The server reset the connection: what it was sent, it did not read (all of it, at least). */
function isReset(err: Error): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** Packets written on a connection, kept until it is confirmed. */
type Kept = NonNullable<Link['kept']>;

function pending(link: Link | undefined): number {
  return link === undefined ? 0 : link.bytes.length - link.head;
}

/**
 * Shared machinery of the transports that write to a byte stream (TCP, Unix stream sockets, a user's
 * Writable): lazy connect on the first send; a byte-bounded {@link PendingQueue} while connecting,
 * reconnecting or congested (`write()` returned false) that drops and counts beyond `maxQueueBytes`;
 * reconnect with capped, jittered exponential backoff on unref'd timers; write callbacks counted into
 * telemetry; an 'error' listener always attached, every error to `onError` as a `TransportError`.
 *
 * Subclasses only open the stream ({@link open}) and release it ({@link release}).
 */
export abstract class StreamTransport implements PacketTransport {
  protected readonly ctx: TransportContext;
  readonly #queue: PendingQueue;
  readonly #idle = new IdleWaiters();
  readonly #framing: StreamFraming;
  readonly #reconnect: boolean;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #maxQueueBytes: number;
  /** close() is flushing: a reset connection's unconfirmed packets may go once more. */
  #closing = false;
  /** close() sent packets once more already (it does so once). */
  #resent = false;
  #state: State = 'idle';
  #link: Link | undefined;
  #congested = false;
  #attempt = 0;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  /** The link being released, so `detach()` can find its listeners. */
  #detachable: Link | undefined;
  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#state !== 'backoff') return;
    // Lazy: reconnect only when something is waiting; otherwise the next send connects.
    if (this.#queue.size > 0) this.#open();
    else this.#state = 'idle';
  };

  constructor(ctx: TransportContext, opts: StreamTransportOptions) {
    this.ctx = ctx;
    this.#queue = new PendingQueue(opts.maxQueueBytes, ctx);
    this.#framing = opts.framing;
    this.#reconnect = opts.reconnect;
    this.#minDelay = opts.minReconnectDelay ?? MIN_DELAY_MS;
    this.#maxDelay = opts.maxReconnectDelay ?? MAX_DELAY_MS;
    this.#maxQueueBytes = opts.maxQueueBytes;
  }

  /** Where this transport writes, for messages: `TCP 127.0.0.1:8125`, `unix socket /tmp/s.sock`. */
  protected abstract get label(): string;

  /**
   * Start a connection attempt: call {@link attach} with the new stream (a socket may still be
   * connecting), or {@link openFailed}. May complete asynchronously (DNS).
   */
  protected abstract open(): void;

  /** Let go of the stream after a graceful close (sockets: `end()`; a user's Writable: nothing). */
  protected abstract release(out: Writable): void;

  /** Throw away the stream at once (abort, or a stream that failed). */
  protected abstract destroy(out: Writable): void;

  /** True while the transport is connecting or connected: `open()` callbacks check it to stay relevant. */
  protected get opening(): boolean {
    return this.#state === 'connecting';
  }

  send(packet: Buffer, bytes: number, lines: number): void {
    const state = this.#state;
    if (state === 'ready' && !this.#congested && this.#queue.size === 0) {
      this.#write(this.#link as Link, packet, bytes, lines);
      return;
    }
    if (state === 'closed') {
      countDrop(this.ctx.telemetry, 'closed', bytes, lines);
      return;
    }
    this.#queue.push(packet, bytes, lines);
    if (state === 'idle') this.#open();
  }

  /**
   * Resolves when everything sent so far has been written to the stream (its write callbacks ran), or
   * dropped — or at once while the server is unreachable and the transport waits to reconnect: what is
   * queued then stays queued (up to `maxQueueBytes`) for the next connection.
   */
  flush(): Promise<void> {
    if (this.#settled()) return Promise.resolve();
    return this.#idle.wait();
  }

  /**
   * Flush (after one last connect attempt if packets wait for a reconnect — twice, if the connection
   * broke during the first), then release the stream. A connection not yet confirmed (up less than
   * {@link CONFIRM_MS}) is ended and watched until the server closes its side or it would have been
   * confirmed: a server that hung up without reading resets it, and what was written on it is counted
   * as dropped and reported, as on any connection closed that soon. Whatever is still queued at the end
   * is dropped (`closed`) and reported.
   */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#closing = true;
    for (;;) {
      for (let attempt = 0; attempt < 2; attempt++) {
        if (this.#state === 'backoff' && this.#queue.size > 0) {
          clearTimeout(this.#timer);
          this.#timer = undefined;
          this.#open();
        }
        await this.flush();
        if ((this.#state as State) === 'closed') return; // abort() ran meanwhile
        // another attempt only when the connection broke during this flush (not a server that is down)
        if (this.#state !== 'backoff' || this.#queue.size === 0 || this.#failures > 0) break;
      }
      const link = this.#link;
      if (link === undefined || !this.#unconfirmedAtClose(link)) break;
      // the connection is #lastWords' now; anything sent meanwhile waits in the queue
      this.#link = undefined;
      this.#state = 'backoff';
      clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#retire(link, 'closed');
      const again = await this.#lastWords(link, !this.#resent);
      if ((this.#state as State) === 'closed') return; // abort() ran meanwhile
      if (again === undefined) break;
      // the server hung up without reading: once, what it was given goes again on a new connection
      this.#resent = true;
      for (const k of again) this.#queue.push(k.packet, k.bytes, k.lines);
    }
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    // a server that is down was reported (STATSKIT_ERR_CONNECT); one that kept hanging up is said here
    const reported = this.#failures > 0;
    const queued = this.#queue.dropAll('closed');
    if (queued > 0 && !reported) {
      this.ctx.onError(
        new TransportError(
          ErrorCodes.SOCKET,
          `statskit: close(): ${queued} lines could not be written to ${this.label} (the connection broke and the last attempt failed); dropped`,
        ),
      );
    }
    const link = this.#link;
    this.#link = undefined;
    if (link !== undefined) {
      this.#retire(link, 'closed');
      this.#detachable = link;
      this.release(link.out);
      this.#detachable = undefined;
    }
    this.#idle.release();
  }

  /** A socket whose writes are not confirmed yet (the server could still hang up on them). */
  #unconfirmedAtClose(link: Link): boolean {
    return (
      this.#reconnect &&
      link.connected &&
      !link.confirmed &&
      link.unconfirmedLines > 0 &&
      Date.now() - link.connectedAt < CONFIRM_MS
    );
  }

  /**
   * The last writes on a connection not yet confirmed. A server that hangs up at once (a load balancer
   * with no healthy backend) is seen within a few round trips of the connect: for that long from now
   * ({@link HANGUP_RTTS} × the connect time, at least {@link HANGUP_MIN_MS}) the connection is only
   * watched. Then it is ended and watched until it closes, at most until it would have been confirmed: a
   * server that read what was written answers our FIN with its own; one that hangs up without reading
   * resets it. A reset, with `retry`, takes the lines written on it off `*Sent` and resolves with their
   * packets, for close() to send once more; any other hang-up moves them from sent to dropped
   * (`sendError`), and is reported.
   */
  #lastWords(link: Link, retry: boolean): Promise<Kept | undefined> {
    const out = link.out;
    return new Promise<Kept | undefined>((resolve) => {
      let failed: Error | undefined;
      let ended = false;
      let timer: NodeJS.Timeout | undefined;
      const onError = (err: Error): void => {
        failed ??= err;
      };
      const onHangup = (): void => {
        // before our FIN: the server closed on its own
        if (!ended) failed ??= new Error('closed by the other end');
        if (!ended) done();
      };
      let finished = false;
      const done = (): void => {
        if (finished) return; // a timer or a turn of the loop still on its way
        finished = true;
        clearTimeout(timer);
        out.removeListener('error', onError);
        out.removeListener('end', onHangup);
        out.removeListener('close', done);
        const kept = link.kept;
        if (
          failed !== undefined &&
          (failed as NodeJS.ErrnoException).code !== undefined &&
          retry &&
          kept !== undefined &&
          kept.length === link.unconfirmedPackets
        ) {
          // reset: the server closed with them unread (or before they arrived). A server that closed
          // cleanly may have read them, so those are not sent twice: they count as dropped below.
          // Not sent after all, and not dropped yet: close() sends them once more.
          const t = this.ctx.telemetry;
          t.packetsSent -= link.unconfirmedPackets;
          t.linesSent -= link.unconfirmedLines;
          t.bytesSent -= link.unconfirmedBytes;
          this.destroy(out);
          resolve(kept);
          return;
        }
        if (failed !== undefined && link.unconfirmedLines > 0) {
          const lost = link.unconfirmedLines;
          uncountSent(this.ctx.telemetry, link.unconfirmedPackets, link.unconfirmedBytes, lost);
          link.unconfirmedPackets = 0;
          link.unconfirmedBytes = 0;
          link.unconfirmedLines = 0;
          this.ctx.onError(
            new TransportError(
              ErrorCodes.SOCKET,
              `statskit: close(): ${this.label} was closed by the other end ${Date.now() - link.connectedAt} ms after connecting, without reading (${(failed as NodeJS.ErrnoException).code ?? failed.message}); the ${lost} lines written on it are counted as dropped`,
              { cause: failed },
            ),
          );
        }
        this.destroy(out);
        resolve(undefined);
      };
      const end = (): void => {
        if (finished) return;
        if (failed !== undefined) {
          done();
          return;
        }
        ended = true;
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, link.connectedAt + CONFIRM_MS - Date.now()));
        timer.unref();
        out.end();
      };
      out.on('error', onError);
      out.once('end', onHangup);
      out.once('close', done);
      // from now, not from the connect: a busy event loop may not have read the server's FIN yet
      const watch = Math.min(
        Math.max(HANGUP_MIN_MS, HANGUP_RTTS * link.rtt),
        link.connectedAt + CONFIRM_MS - Date.now(),
      );
      // and two more turns of the event loop: a loop that was busy all that time runs its timers before
      // it polls, so a FIN already waiting would be read only after we ended (and taken for an answer)
      timer = setTimeout(() => setImmediate(() => setImmediate(end)), Math.max(0, watch));
      timer.unref();
    });
  }

  /** Give up on everything pending at once (the client calls this when close() times out). */
  abort(): void {
    this.#state = 'closed';
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.dropAll('closed');
    const link = this.#link;
    this.#link = undefined;
    if (link !== undefined) {
      this.#retire(link, 'closed');
      this.destroy(link.out);
    }
    this.#idle.release();
  }

  /** Called by `open()` with the new stream; a socket that is still connecting is waited for. */
  protected attach(out: Writable): void {
    if (this.#state !== 'connecting') {
      // closed while DNS or the subclass was busy
      this.destroy(out);
      return;
    }
    const link: Link = {
      out,
      bytes: [],
      lines: [],
      head: 0,
      connected: false,
      dead: false,
      reportedError: false,
      connectedAt: 0,
      openedAt: performance.now(),
      rtt: 0,
      confirmed: false,
      unconfirmedPackets: 0,
      unconfirmedBytes: 0,
      unconfirmedLines: 0,
      kept: this.#reconnect ? [] : undefined,
      keptBytes: 0,
      reset: false,
      onWrite: (err) => this.#onWritten(link, err),
      onError: (err: Error) => this.#onError(link, err),
      onClose: () => this.#down(link),
      onDrain: () => {
        if (this.#link !== link || link.dead) return;
        this.#congested = false;
        this.#pump(link);
      },
    };
    this.#link = link;
    out.on('error', link.onError);
    out.on('close', link.onClose);
    out.on('drain', link.onDrain);
    if ((out as Partial<net.Socket>).connecting === true) out.once('connect', () => this.#connected(link));
    else if (out.destroyed || out.writableEnded) {
      this.#onError(link, new Error('the stream is already ended or destroyed'));
      this.#down(link);
    } else this.#connected(link);
  }

  /** Remove the listeners `attach()` added (for a stream the user owns, once we are done with it). */
  protected detach(out: Writable): void {
    const link = this.#detachable;
    if (link === undefined || link.out !== out) return;
    out.removeListener('error', link.onError);
    out.removeListener('close', link.onClose);
    out.removeListener('drain', link.onDrain);
  }

  /** Called by `open()` when no stream could be made (e.g. DNS failed). */
  protected openFailed(err: TransportError, dropReason?: keyof Telemetry['droppedBy']): void {
    if (this.#state !== 'connecting') return;
    this.#failures++;
    if (this.#failures === 1) this.ctx.onError(err);
    if (dropReason !== undefined) this.#queue.dropAll(dropReason);
    this.#afterFailure();
  }

  /** A message for a failed connect; subclasses may explain special causes (EPROTOTYPE on a unix socket). */
  protected describeConnectError(err: Error): string {
    return err.message;
  }

  #open(): void {
    this.#state = 'connecting';
    this.#congested = false;
    this.#queue.connecting = true;
    try {
      this.open();
    } catch (err) {
      this.openFailed(
        new TransportError(ErrorCodes.CONNECT, `statskit: cannot connect to ${this.label}: ${String(err)}`, {
          cause: err,
        }),
      );
    }
  }

  #connected(link: Link): void {
    if (this.#link !== link || link.dead) return;
    link.connected = true;
    link.connectedAt = Date.now();
    link.rtt = performance.now() - link.openedAt;
    // A user's Writable is not a connection to a server that might hang up: what it took, it has.
    link.confirmed = !this.#reconnect;
    this.#state = 'ready';
    this.#attempt = 0;
    this.#failures = 0;
    this.#pump(link);
  }

  #write(link: Link, packet: Buffer, bytes: number, lines: number): void {
    const kept = link.kept;
    if (kept !== undefined) {
      if (link.keptBytes + bytes > this.#maxQueueBytes) link.kept = undefined;
      else {
        kept.push({ packet, bytes, lines });
        link.keptBytes += bytes;
      }
    }
    const data = this.#framing === 'newline' ? newlineFramed(packet) : lengthPrefixed(packet);
    link.bytes.push(bytes);
    link.lines.push(lines);
    let ok: boolean;
    try {
      ok = link.out.write(data, link.onWrite);
    } catch (err) {
      // A user's Writable may throw instead of reporting through its callback.
      link.bytes.pop();
      link.lines.pop();
      countDrop(this.ctx.telemetry, 'sendError', bytes, lines);
      this.#onError(link, err instanceof Error ? err : new Error(String(err)));
      this.#down(link);
      return;
    }
    if (!ok) this.#congested = true;
  }

  /** Write queued packets until the stream pushes back or the queue is empty. */
  #pump(link: Link): void {
    const q = this.#queue;
    while (!this.#congested && q.size > 0 && this.#state === 'ready' && this.#link === link) {
      const packet = q.peek() as Buffer;
      const sizes = q.shift() as { bytes: number; lines: number };
      this.#write(link, packet, sizes.bytes, sizes.lines);
    }
    // What queued while connecting may exceed maxQueueBytes: the larger limit holds until it has drained.
    if (q.size === 0) q.connecting = false;
    this.#settle();
  }

  #onWritten(link: Link, err: Error | null | undefined): void {
    if (link.dead || link.head >= link.bytes.length) return;
    const i = link.head++;
    const bytes = link.bytes[i] as number;
    const lines = link.lines[i] as number;
    if (link.head === link.bytes.length) {
      link.bytes.length = 0;
      link.lines.length = 0;
      link.head = 0;
    }
    if (err) countDrop(this.ctx.telemetry, 'sendError', bytes, lines);
    else {
      countSent(this.ctx.telemetry, bytes, lines);
      if (!link.confirmed) this.#provisional(link, bytes, lines);
    }
    if (link.head === 0 && this.#idle.waiting) this.#settle();
  }

  #onError(link: Link, err: Error): void {
    // errors while tearing down after close(), or on a connection #lastWords watches itself
    if (link.dead && (this.#state === 'closed' || this.#closing)) return;
    if (!link.connected) {
      this.#failures++;
      // Report the first failure of an outage; retries that fail the same way are only counted.
      if (this.#failures === 1) {
        this.ctx.onError(
          new TransportError(
            ErrorCodes.CONNECT,
            `statskit: cannot connect to ${this.label}: ${this.describeConnectError(err)}${
              this.#reconnect ? '; packets wait in the queue and the connection is retried with backoff' : ''
            }`,
            { cause: err },
          ),
        );
      }
    } else if (this.#closing && !this.#resent && !link.confirmed && isReset(err)) {
      link.reset = true; // #down sends its packets once more, or reports
    } else if (!link.reportedError) {
      link.reportedError = true;
      this.ctx.onError(
        new TransportError(ErrorCodes.SOCKET, `statskit: ${this.label} failed: ${err.message}`, {
          cause: err,
        }),
      );
    }
    // A socket follows 'error' with 'close'; a user's Writable may not (autoDestroy: false).
    if (!this.#reconnect) this.#down(link);
  }

  /** A write on a connection not yet confirmed: remember it, in case the server hangs up soon. */
  #provisional(link: Link, bytes: number, lines: number): void {
    if (Date.now() - link.connectedAt >= CONFIRM_MS) {
      link.confirmed = true;
      link.kept = undefined;
      link.unconfirmedPackets = 0;
      link.unconfirmedBytes = 0;
      link.unconfirmedLines = 0;
      return;
    }
    link.unconfirmedPackets++;
    link.unconfirmedBytes += bytes;
    link.unconfirmedLines += lines;
  }

  /**
   * The stream is gone (not by our close): count what it had not written, and what it wrote before it
   * was confirmed, as dropped; report the break once; then reconnect later (or give up).
   */
  #down(link: Link): void {
    if (link.dead) return;
    const kept = link.kept;
    const again =
      link.reset &&
      !this.#resent &&
      this.#state !== 'closed' &&
      pending(link) === 0 &&
      kept !== undefined &&
      kept.length === link.unconfirmedPackets;
    this.#retire(link, 'sendError');
    if (again) {
      // reset during close(): the server closed with them unread. Not sent after all: once more
      this.#resent = true;
      const t = this.ctx.telemetry;
      t.packetsSent -= link.unconfirmedPackets;
      t.linesSent -= link.unconfirmedLines;
      t.bytesSent -= link.unconfirmedBytes;
      link.unconfirmedPackets = 0;
      link.unconfirmedLines = 0;
      link.unconfirmedBytes = 0;
      for (const k of kept) this.#queue.push(k.packet, k.bytes, k.lines);
    } else if (link.connected && this.#state !== 'closed') this.#broke(link);
    if (this.#link !== link) return;
    this.#link = undefined;
    this.#congested = false;
    if (this.#state === 'closed') return;
    if (link.connected) this.#failures = 0;
    if (this.#reconnect) {
      this.#afterFailure();
      return;
    }
    this.#state = 'closed';
    this.#queue.dropAll('sendError');
    this.destroy(link.out);
    this.#settle();
  }

  /** Mark a link dead, counting the writes whose callbacks never ran under `reason`. */
  #retire(link: Link, reason: keyof Telemetry['droppedBy']): void {
    if (link.dead) return;
    link.dead = true;
    const t = this.ctx.telemetry;
    for (let i = link.head; i < link.bytes.length; i++) {
      countDrop(t, reason, link.bytes[i] as number, link.lines[i] as number);
    }
    link.bytes.length = 0;
    link.lines.length = 0;
    link.head = 0;
  }

  /** Report a connection that broke, unless its error was reported; un-count its unconfirmed writes. */
  #broke(link: Link): void {
    const up = Date.now() - link.connectedAt;
    const lost = !link.confirmed && up < CONFIRM_MS ? link.unconfirmedLines : 0;
    if (lost > 0) {
      uncountSent(this.ctx.telemetry, link.unconfirmedPackets, link.unconfirmedBytes, lost);
      link.unconfirmedPackets = 0;
      link.unconfirmedBytes = 0;
      link.unconfirmedLines = 0;
    }
    if (link.reportedError) return;
    link.reportedError = true;
    const counted =
      lost > 0 ? `; the ${lost} lines written on it are counted as dropped (it may not have read them)` : '';
    const what = this.#reconnect
      ? `${this.label} was closed by the other end ${up} ms after connecting`
      : `${this.label} was closed`;
    this.ctx.onError(new TransportError(ErrorCodes.SOCKET, `statskit: ${what}${counted}`));
  }

  /** Wait before the next attempt: 100 ms doubling to 10 s, each delay jittered to 50–100 %. */
  #afterFailure(): void {
    this.#state = 'backoff';
    this.#queue.trim();
    const base = Math.min(this.#maxDelay, this.#minDelay * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const delay = base / 2 + (Math.random() * base) / 2;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#onTimer, delay);
    this.#timer.unref();
    this.#settle();
  }

  /**
   * Packets still queued (connecting, reconnecting, congested), and those written to a stream that
   * still buffers bytes it has not handed to the kernel.
   */
  unsentLines(): number {
    let n = this.#queue.lines;
    const link = this.#link;
    if (link !== undefined && link.out.writableLength > 0) {
      for (let i = link.head; i < link.lines.length; i++) n += link.lines[i] as number;
    }
    return n;
  }

  /** Nothing left that would progress without a new connection. */
  #settled(): boolean {
    const state = this.#state;
    if (state === 'connecting') return false;
    if (state === 'ready') return this.#queue.size === 0 && pending(this.#link) === 0;
    return true;
  }

  #settle(): void {
    if (this.#idle.waiting && this.#settled()) this.#idle.release();
  }
}

/**
 * Settings every socket we open gets: unref'd (never holds the process open), a connect timeout, and,
 * once connected, flowing reads that discard what the server sends, so a server closing the
 * connection ('end') is noticed at once rather than at the next failed write.
 */
export function prepareSocket(socket: net.Socket): net.Socket {
  socket.unref();
  socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
    const err = Object.assign(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`), {
      code: 'ETIMEDOUT',
    });
    socket.destroy(err);
  });
  socket.once('connect', () => {
    socket.setTimeout(0);
    socket.resume();
  });
  return socket;
}
