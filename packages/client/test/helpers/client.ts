/** A StatsClient pointed at a test receiver, with its onError calls collected. */
import { type ClientOptions, StatsClient, type StatsError } from '@statskit/client';
import type { Packet, UdpReceiver } from './udp-receiver.js';

/** Name of the marker metric `drain()` sends after everything else. */
export const SENTINEL = 'ZZEND';

export interface UdpClient extends AsyncDisposable {
  readonly stats: StatsClient;
  /** Every error given to onError, in order. */
  readonly errors: StatsError[];
  /** The codes of `errors`. */
  codes(): string[];
}

/**
 * A client sending to `rx`. The flush interval defaults to one minute so that only `flush()`/`close()`
 * (or a full packet) put anything on the wire, unless a test sets it.
 */
export function udpClient(rx: UdpReceiver, options: ClientOptions = {}): UdpClient {
  const errors: StatsError[] = [];
  const stats = new StatsClient({
    host: rx.address,
    port: rx.port,
    flushInterval: 60_000,
    // these tests assert raw lines: one per call (pass `aggregate` to test aggregation)
    aggregate: false,
    ...options,
    onError: (err) => errors.push(err),
  });
  return {
    stats,
    errors,
    codes: () => errors.map((e) => e.code),
    async [Symbol.asyncDispose]() {
      if (!stats.closed) await stats.close();
    },
  };
}

/**
 * Everything `stats` has sent so far, as received: flush, then send a marker in a packet of its own and
 * wait for it. One socket to one receiver on loopback keeps order, so every earlier packet is in by
 * then. Returns the packets before the marker and clears the receiver.
 */
export async function drain(stats: StatsClient, rx: UdpReceiver, timeoutMs = 2000): Promise<Packet[]> {
  await stats.flush();
  stats.incr(SENTINEL, 1, { rate: 1 });
  await stats.flush();
  const isMarker = (p: Packet): boolean => p.text.includes(SENTINEL);
  await rx.waitFor(() => rx.packets.some(isMarker), timeoutMs);
  const i = rx.packets.findIndex(isMarker);
  const marker = rx.packets[i] as Packet;
  // packets from another socket (a client of an earlier test, closed late) are not ours
  const before = rx.packets.slice(0, i).filter((p) => p.from === marker.from);
  const after = rx.packets.slice(i + 1);
  rx.clear();
  if (after.length > 0) throw new Error(`drain: packets after the marker: ${JSON.stringify(after)}`);
  return before;
}

/** The lines of `packets`, in order. */
export function linesOf(packets: readonly Packet[]): string[] {
  return packets.flatMap((p) => p.text.split('\n'));
}

/** What `fn` throws; fails when it does not throw. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}
