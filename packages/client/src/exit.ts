import { writeSync } from 'node:fs';

/**
 * What the package does when the process ends, in one place:
 * - `beforeExit` (the loop ran dry, no close()): what is held in process is written out, so nothing is
 *   lost. `beforeExit` never keeps a process alive unless a listener gives the loop new work.
 * - `exit` (`process.exit()`, an uncaught exception, the loop ran dry after beforeExit): only synchronous
 *   work is possible. Every client's held values are written to its transport; a *connected* socket
 *   sends them at once (libuv tries the send or write synchronously: a connected dgram socket skips the
 *   address lookup that `send(buf, port, host)` defers to a later tick), so they are delivered. What
 *   still waits for a lookup or a connect cannot leave: one message on stderr gives the number of lines
 *   and the fix (`await stats.close()` before `process.exit()`).
 * - SIGTERM, SIGINT: when statskit's is the only listener (the signal would kill the process), what is
 *   pending is sent, waiting at most {@link SIGNAL_WAIT_MS} for connections, then the signal is raised
 *   again with statskit's listener removed, so the process still dies of it. When the app listens too,
 *   only the synchronous writes happen: the app decides what the signal does.
 * Installed on the first client; listeners are removed again when no client is left open.
 */

/** A client, as the exit handlers see it. */
export interface ExitWatched {
  /**
   * Write what is held in process to the transport, synchronously (nothing once closed, nor when
   * `write` is false), and return how many lines the transport could not send synchronously.
   */
  flushAtExit(write: boolean): number;
  /** Everything on the wire (resolves also when it cannot be). */
  flush(): Promise<void>;
}

/** Longest wait for pending lines after a signal, before the signal is raised again. */
export const SIGNAL_WAIT_MS = 1000;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

const watched = new Set<ExitWatched>();
let watching = false;
let signalled = false;
/**
 * True from a `beforeExit` flush until the loop turns again: a process that ends on its own has just
 * written everything, and nothing ran since, so 'exit' only counts (running flush hooks twice would
 * send what a hook adds each time twice).
 */
let justFlushed = false;
const notJustFlushed = (): void => {
  justFlushed = false;
};

function onExit(): void {
  let unsent = 0;
  for (const c of watched) {
    try {
      unsent += c.flushAtExit(!justFlushed);
    } catch {
      // never throw from an exit handler
    }
  }
  if (unsent === 0) return;
  const lines = unsent === 1 ? '1 metric line was' : `${unsent} metric lines were`;
  try {
    // process.stderr may be asynchronous (a TTY, a pipe on some platforms): write the fd directly.
    writeSync(
      2,
      `statskit: ${lines} not sent: the process exited while they waited for the connection to the server. ` +
        'Call `await stats.close()` before `process.exit()` (see docs/transports.md, "At exit").\n',
    );
  } catch {
    // stderr closed: nothing more to do
  }
}

/**
 * Marks statskit's own signal listener, so code that re-raises a signal once nothing else listens (the
 * adapters' `closeOnSignal()`) can tell it from the app's: `Symbol.for`, shared by every copy of statskit.
 */
const OWN_LISTENER = Symbol.for('statskit.exit-listener');

function onSignal(signal: NodeJS.Signals): void {
  const alone = process.listenerCount(signal) === 1;
  let unsent = 0;
  for (const c of watched) {
    try {
      unsent += c.flushAtExit(true);
    } catch {
      // keep going
    }
  }
  if (!alone) return; // the app handles the signal: it decides whether and when the process ends
  const raise = (): void => {
    unwatchSignals();
    process.kill(process.pid, signal);
  };
  if (unsent === 0 || signalled) {
    raise(); // nothing waits for a connection, or a second signal: die now
    return;
  }
  signalled = true;
  const timer = setTimeout(raise, SIGNAL_WAIT_MS);
  void Promise.allSettled([...watched].map((c) => c.flush())).then(() => {
    clearTimeout(timer);
    raise();
  });
}

Object.defineProperty(onSignal, OWN_LISTENER, { value: true });

function unwatchSignals(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Watch `client` until {@link unwatchExit}: its pending lines are sent or reported when the process ends. */
export function watchExit(client: ExitWatched): void {
  watched.add(client);
  if (watching) return;
  watching = true;
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** `client` has closed and drained: nothing of it is left to send. */
export function unwatchExit(client: ExitWatched): void {
  watched.delete(client);
  if (watched.size > 0 || !watching) return;
  watching = false;
  process.off('exit', onExit);
  unwatchSignals();
}

/** Holds values of its own (flush hooks, aggregates) that it writes into its packets. */
interface HoldsValues {
  flushBuffers(): void;
}

/** Holds a packet that waits for its flush timer. */
interface HoldsPacket {
  flush(): void;
}

/** Written first: values become lines in their packets... */
const values = new Set<HoldsValues>();
/** ...then the packets are sent. */
const packets = new Set<HoldsPacket>();
let installed = false;

function flushAtExit(): void {
  for (const v of values) v.flushBuffers();
  for (const p of packets) p.flush();
  justFlushed = true;
  // An unref'd immediate keeps nothing alive: it runs only if the loop goes on after this beforeExit.
  setImmediate(notJustFlushed).unref();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('beforeExit', flushAtExit);
}

/** Write `owner`'s values (`flushBuffers()`) before the process exits, until {@link releaseValues}. */
export function holdValuesUntilExit(owner: HoldsValues): void {
  values.add(owner);
  install();
}

/** `owner` holds nothing any more (it was closed). */
export function releaseValues(owner: HoldsValues): void {
  values.delete(owner);
}

/** Send `batcher`'s packet (`flush()`) before the process exits, after every owner's values. */
export function holdPacketUntilExit(batcher: HoldsPacket): void {
  packets.add(batcher);
  install();
}

/** The packet was sent. */
export function releasePacket(batcher: HoldsPacket): void {
  packets.delete(batcher);
}
