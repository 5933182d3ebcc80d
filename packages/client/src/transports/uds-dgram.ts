import { ErrorCodes, TransportError } from '../errors.js';
import { countDrop, countSent, type Transport, type TransportContext } from '../types.js';

/** The part of the optional native module `unix-dgram` used here. */
interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  close(): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
}
interface UnixDgramModule {
  createSocket(type: 'unix_dgram'): UnixDgramSocket;
}

/** A socket unused this long (ms) is closed; the next send opens a new one. */
const IDLE_CLOSE_MS = 250;

/** Options of {@link UdsDatagramTransport}. */
export interface UdsDatagramOptions {
  /** Path of the unix datagram socket, e.g. the Datadog Agent's `/var/run/datadog/dsd.socket`. */
  readonly path: string;
  /** Bytes that may wait while the native module loads; past it packets are dropped. Default 1 MiB. */
  readonly maxQueueBytes?: number | undefined;
  /** Loads the native module; default `import('unix-dgram')`. Injected by tests. */
  readonly load?: (() => Promise<unknown>) | undefined;
}

/**
 * statsd over a unix *datagram* socket (`SOCK_DGRAM`, the Datadog Agent's default `dogstatsd_socket`):
 * one packet per datagram, nothing to connect or reconnect. Node.js has no unix datagram sockets, so this
 * loads the optional native module `unix-dgram` (as hot-shots does). When it is not installed, or its
 * native build did not run (npm 11 skips dependencies' install scripts unless allowed), every packet is
 * dropped and `STATSKIT_ERR_UNIX_DGRAM_UNAVAILABLE` is reported once: use UDP or a stream socket then.
 *
 * @example
 * ```ts
 * import { StatsClient, udsDatagramTransport } from '@statskit/client';
 * const stats = new StatsClient({ transport: udsDatagramTransport({ path: '/var/run/datadog/dsd.socket' }) });
 * ```
 */
export class UdsDatagramTransport implements Transport {
  readonly #path: string;
  readonly #ctx: TransportContext;
  readonly #maxQueueBytes: number;
  #socket: UnixDgramSocket | undefined;
  /** undefined: still loading; null: unavailable. */
  #state: 'loading' | 'ready' | 'unavailable' | 'closed' = 'loading';
  #module: UnixDgramModule | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #usedAt = 0;
  #queue: { packet: string; bytes: number; lines: number }[] = [];
  #queueBytes = 0;
  readonly #loaded: Promise<void>;

  constructor(opts: UdsDatagramOptions, ctx: TransportContext) {
    this.#path = opts.path;
    this.#ctx = ctx;
    this.#maxQueueBytes = opts.maxQueueBytes ?? 1 << 20;
    const load = opts.load ?? (() => import('unix-dgram' as string));
    this.#loaded = Promise.resolve()
      .then(load)
      .then(
        (mod) => this.#ready(mod),
        (err: unknown) => this.#unavailable(err),
      );
  }

  #ready(mod: unknown): void {
    const m = ((mod as { default?: unknown }).default ?? mod) as Partial<UnixDgramModule>;
    if (typeof m.createSocket !== 'function') {
      this.#unavailable(new Error('unix-dgram has no createSocket()'));
      return;
    }
    if (this.#state === 'closed') return;
    this.#module = m as UnixDgramModule;
    if (this.#open() === undefined) return;
    this.#state = 'ready';
    const queued = this.#queue;
    this.#queue = [];
    this.#queueBytes = 0;
    this.#ctx.telemetry.queueBytes = 0;
    for (const q of queued) this.send(q.packet, q.bytes, q.lines);
  }

  /**
   * The socket, opened on demand. unix-dgram's sockets cannot be unref'd, so one that stays open would
   * hold the process: it is closed after {@link IDLE_CLOSE_MS} without sends (an unref'd timer).
   */
  #open(): UnixDgramSocket | undefined {
    this.#usedAt = performance.now();
    if (this.#socket !== undefined) return this.#socket;
    try {
      const socket = (this.#module as UnixDgramModule).createSocket('unix_dgram');
      socket.on('error', (err) => this.#ctx.onError(this.#sendError(err)));
      this.#socket = socket;
    } catch (err) {
      this.#unavailable(err);
      return undefined;
    }
    this.#armIdle(IDLE_CLOSE_MS);
    return this.#socket;
  }

  #armIdle(ms: number): void {
    this.#idleTimer = setTimeout(() => {
      const idle = performance.now() - this.#usedAt;
      if (idle < IDLE_CLOSE_MS) this.#armIdle(IDLE_CLOSE_MS - idle);
      else this.#closeSocket();
    }, ms);
    this.#idleTimer.unref();
  }

  #closeSocket(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    try {
      this.#socket?.close();
    } catch {
      // already closed
    }
    this.#socket = undefined;
  }

  #unavailable(cause: unknown): void {
    if (this.#state === 'closed') return;
    this.#state = 'unavailable';
    for (const q of this.#queue) countDrop(this.#ctx.telemetry, 'sendError', q.bytes, q.lines);
    this.#queue = [];
    this.#queueBytes = 0;
    this.#ctx.telemetry.queueBytes = 0;
    this.#ctx.onError(
      new TransportError(
        ErrorCodes.UNIX_DGRAM_UNAVAILABLE,
        `statskit: unix datagram socket ${this.#path} needs the optional native module unix-dgram, which could not be loaded (npm install unix-dgram, with its install script allowed); packets are dropped — or use UDP or a unix stream socket (protocol: 'uds')`,
        { cause },
      ),
    );
  }

  #sendError(err: Error): TransportError {
    return new TransportError(
      ErrorCodes.SEND,
      `statskit: sending to unix datagram socket ${this.#path} failed: ${err.message}`,
      { cause: err },
    );
  }

  send(packet: string, bytes: number, lines: number): void {
    const t = this.#ctx.telemetry;
    const socket = this.#state === 'ready' ? this.#open() : undefined;
    if (socket !== undefined) {
      const buf = Buffer.from(packet, 'utf8');
      let failed: Error | undefined;
      try {
        // unix-dgram calls back synchronously: an error here is this packet's
        socket.send(buf, 0, buf.length, this.#path, (err) => {
          failed = err;
        });
      } catch (err) {
        failed = err instanceof Error ? err : new Error(String(err));
      }
      if (failed === undefined) countSent(t, bytes, lines);
      else {
        countDrop(t, 'sendError', bytes, lines);
        this.#ctx.onError(this.#sendError(failed));
      }
      return;
    }
    if (this.#state === 'loading' && this.#queueBytes + bytes <= this.#maxQueueBytes) {
      this.#queue.push({ packet, bytes, lines });
      this.#queueBytes += bytes;
      t.queueBytes = this.#queueBytes;
      return;
    }
    countDrop(
      t,
      this.#state === 'closed' ? 'closed' : this.#state === 'loading' ? 'queueFull' : 'sendError',
      bytes,
      lines,
    );
  }

  /** Resolves once the module has loaded and the queue was sent (datagrams are sent synchronously). */
  flush(): Promise<void> {
    return this.#loaded;
  }

  async close(): Promise<void> {
    await this.#loaded;
    this.#state = 'closed';
    this.#closeSocket();
  }
}

/**
 * A transport factory for a unix *datagram* socket, for the `transport` option of `new StatsClient()`.
 * Needs the optional native module `unix-dgram`; see {@link UdsDatagramTransport}.
 *
 * @example
 * ```ts
 * const stats = new StatsClient({ transport: udsDatagramTransport({ path: '/var/run/datadog/dsd.socket' }) });
 * ```
 */
export function udsDatagramTransport(opts: UdsDatagramOptions): (ctx: TransportContext) => Transport {
  return (ctx) => new UdsDatagramTransport(opts, ctx);
}
