/**
 * The package's one `beforeExit` listener: what is held in process is written out when the process is
 * about to exit on its own (nothing left to do, no close()), so nothing is lost. Installed on the first
 * hold; `beforeExit` never keeps a process alive unless a listener gives the loop new work.
 */

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
