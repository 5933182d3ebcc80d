/**
 * A statsd server stand-in for tests: a dgram socket on loopback, port 0, that keeps every datagram.
 * Disposable (`await using rx = await udpReceiver()`) or closed explicitly with `close()`.
 */
import dgram from 'node:dgram';

/** Big enough that a burst of packets is never dropped by the kernel (rmem_max is 4 MiB here). */
const RECV_BUFFER = 4 * 1024 * 1024;

/** One datagram as received. */
export interface Packet {
  /** The payload decoded as UTF-8. */
  readonly text: string;
  /** The payload size in bytes, as it came off the socket. */
  readonly size: number;
  /** The sender's port. */
  readonly from: number;
}

export interface UdpReceiver extends AsyncDisposable {
  readonly address: string;
  readonly port: number;
  /** Every datagram, in arrival order. */
  readonly packets: readonly Packet[];
  /** Every line of every datagram, in order. */
  readonly lines: string[];
  /** Resolves once `predicate` holds; rejects after `timeoutMs` with what was received so far. */
  waitFor(predicate: (rx: UdpReceiver) => boolean, timeoutMs?: number): Promise<void>;
  /** Waits until at least `n` lines arrived. */
  waitForLines(n: number, timeoutMs?: number): Promise<void>;
  /** Forget what was received. */
  clear(): void;
  close(): Promise<void>;
}

/** Bind a receiver on 127.0.0.1 (or ::1 for `udp6`), on `port` (default: any free one). */
export async function udpReceiver(type: 'udp4' | 'udp6' = 'udp4', port = 0): Promise<UdpReceiver> {
  const socket = dgram.createSocket(type);
  const packets: Packet[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (msg, rinfo) => {
    packets.push({ text: msg.toString('utf8'), size: msg.length, from: rinfo.port });
    for (const check of waiters) check();
  });
  const address = type === 'udp6' ? '::1' : '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.setRecvBufferSize(RECV_BUFFER);
  let closed = false;

  const rx: UdpReceiver = {
    address,
    port: socket.address().port,
    packets,
    get lines() {
      return packets.flatMap((p) => p.text.split('\n'));
    },
    waitFor(predicate, timeoutMs = 2000) {
      if (predicate(rx)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (!predicate(rx)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          const shown = packets.slice(-10).map((p) => JSON.stringify(p.text));
          reject(
            new Error(
              `udp receiver: condition not met after ${timeoutMs} ms; ${packets.length} packets, last: ${shown.join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
      });
    },
    waitForLines(n, timeoutMs) {
      return rx.waitFor(() => rx.lines.length >= n, timeoutMs);
    },
    clear() {
      packets.length = 0;
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
    [Symbol.asyncDispose]() {
      return rx.close();
    },
  };
  return rx;
}

/** Pause with real timers. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
